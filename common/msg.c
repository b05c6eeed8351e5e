/* msg.c: not yet written */
#include "config.h"
#include "msg.h"
