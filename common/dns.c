/* dns.c: not yet written */
#include "config.h"
#include "dns.h"
