/* smtp.c: not yet written */
#include "config.h"
#include "smtp.h"
