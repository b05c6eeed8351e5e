/* maildir.c: not yet written */
#include "config.h"
#include "maildir.h"
