/* certs.h */
#ifndef CERTS_H
#define CERTS_H
#endif
