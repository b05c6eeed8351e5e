#ifndef YUBIN_MAILDIR_H
#define YUBIN_MAILDIR_H
#endif
