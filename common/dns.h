#ifndef YUBIN_DNS_H
#define YUBIN_DNS_H
#endif
