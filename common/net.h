/*
 * net.h: TCP connect by name with per-address fallback and timeouts,
 * listening sockets, peer names.
 */
#ifndef YUBIN_NET_H
#define YUBIN_NET_H

#include <sys/socket.h>
#include <stddef.h>

#define NET_ADDRSTR_MAX	64	/* "[v6addr]:port" fits */

/*
 * Split "host:port", "[v6]:port", "v6" or "host" into host and port;
 * defport is used when there is no port.  0 or -1 (malformed, too long).
 */
int	net_split_hostport(const char *s, const char *defport, char *host,
	    size_t hostlen, char *port, size_t portlen);

/*
 * Connect to every address of host:port in turn (getaddrinfo order) until
 * one answers within timeout_ms each.  On success returns the fd (blocking,
 * TCP_NODELAY set, close-on-exec) and the numeric address it reached in
 * addr (may be NULL).  On failure -1 and a one-line reason in err naming
 * each address tried.
 */
int	net_connect(const char *host, const char *port, int timeout_ms,
	    char *addr, size_t addrlen, char *err, size_t errlen);
/*
 * The same over an address list the caller resolved (MX addresses from
 * the dns module, or a list built by a test): each in turn, same rules.
 */
struct addrinfo;
int	net_connect_ai(const struct addrinfo *ai, int timeout_ms, char *addr,
	    size_t addrlen, char *err, size_t errlen);
/* Connect to one numeric address (sockaddr), same rules. */
int	net_connect_sa(const struct sockaddr *sa, socklen_t salen,
	    int timeout_ms, char *err, size_t errlen);

/*
 * Listen on "ADDR:PORT" (numeric or name; "[::1]:25").  Returns the fd
 * (SO_REUSEADDR, close-on-exec) or -1 with err set.  With port "0" the
 * kernel picks one: net_local_port() tells which.
 */
int	net_listen(const char *hostport, int backlog, char *err, size_t errlen);
int	net_local_port(int fd);

/* Numeric address of a sockaddr, "127.0.0.1" or "::1". */
void	net_sa_str(const struct sockaddr *sa, char *out, size_t outlen);
/*
 * The peer of a connected socket: numeric address, and the name from
 * reverse DNS confirmed by a forward lookup ("" when none or unconfirmed,
 * or when resolve is 0).  -1 when fd is not a socket (a pipe under test).
 */
int	net_peer(int fd, int resolve, char *addr, size_t addrlen, char *name,
	    size_t namelen);
/*
 * Is sa this host: a loopback address (127/8, ::1, or mapped), the
 * unspecified address, or an address of one of our interfaces
 * (getifaddrs)?  1 or 0.  Mail sent there loops (RFC 5321 §5.1).
 */
int	net_addr_is_self(const struct sockaddr *sa);
/* Disable Nagle on a TCP socket (harmless on others). */
void	net_nodelay(int fd);

#endif
