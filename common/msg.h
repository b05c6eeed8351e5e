#ifndef YUBIN_MSG_H
#define YUBIN_MSG_H
#endif
