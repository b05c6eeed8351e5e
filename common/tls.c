/* tls.c: not yet written */
#include "config.h"
#include "tls.h"
