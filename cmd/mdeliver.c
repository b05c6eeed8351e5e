#include <stdio.h>
int
main(void)
{
	fputs("mdeliver: not yet written\n", stderr);
	return 70;
}
