#include "certs.h"
