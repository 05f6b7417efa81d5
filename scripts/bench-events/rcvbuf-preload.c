/*
 * rcvbuf-preload — gives conntrack -E's event socket the receive buffer it was asked for.
 *
 *   CTBENCH_RCVBUF=BYTES LD_PRELOAD=./rcvbuf-preload.so conntrack -E ...
 *
 * conntrack-tools 1.4.7 applies -b/--buffer-size to the socket it opens first
 * (bound to no multicast group) and not to the event socket it subscribes
 * with, which keeps net.core.rmem_default (208 KiB): strace shows
 * setsockopt(3, SO_RCVBUFFORCE) while bind(4, nl_groups=0x7) is the one that
 * receives events. For a like-for-like benchmark this shim wraps bind(): a
 * netlink socket that joins groups at bind gets SO_RCVBUFFORCE(BYTES) first,
 * which is what ctaudit watch --receive-buffer does for its own socket. It
 * changes nothing else and nothing outside the process.
 *
 * Build: gcc -O2 -shared -fPIC -o rcvbuf-preload.so rcvbuf-preload.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <linux/netlink.h>

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	static int (*real_bind)(int, const struct sockaddr *, socklen_t);
	if (!real_bind) real_bind = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
	const char *size = getenv("CTBENCH_RCVBUF");
	if (size && addr && addr->sa_family == AF_NETLINK && len >= sizeof(struct sockaddr_nl) &&
	    ((const struct sockaddr_nl *)addr)->nl_groups != 0) {
		int bytes = atoi(size);
		if (bytes > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes));
	}
	return real_bind(fd, addr, len);
}
