/*
 * mpop.h: the two halves of mpop (DESIGN.md, "mpop"): `mpop serve', a
 * POP3 server over a Maildir for inetd/systemd or --listen, and `mpop
 * fetch', a POP3 client (libcurl) that pulls a remote mailbox into a
 * Maildir or an MDA.  main.c only dispatches.
 */
#ifndef MPOP_H
#define MPOP_H

#define PROG "mpop"

/* serve.c: argv[0] is "serve".  Returns an exit code (sysexits.h). */
int serve_main(int argc, char **argv);
/* fetch.c: argv[0] is "fetch".  Returns an exit code (sysexits.h). */
int fetch_main(int argc, char **argv);

#endif
