/* io.c: not yet written */
#include "config.h"
#include "io.h"
