/* net.c: not yet written */
#include "config.h"
#include "net.h"
