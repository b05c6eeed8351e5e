#include <stdio.h>
int
main(void)
{
	fputs("mxlookup: not yet written\n", stderr);
	return 70;
}
