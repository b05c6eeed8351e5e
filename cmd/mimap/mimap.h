/*
 * mimap.h: the commands of mimap (main.c picks one).
 */
#ifndef MIMAP_H
#define MIMAP_H

#ifndef PROG
#define PROG "mimap"
#endif

/* serve.c: `mimap serve' (argv[0] is "serve"). */
int serve_main(int argc, char **argv);

#endif
