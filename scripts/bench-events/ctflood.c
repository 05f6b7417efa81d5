/*
 * ctflood — a conntrack event flood for `ctaudit watch` tests and benchmarks.
 *
 *   ip netns exec NS ctflood [--entries N] [--rounds R] [--batch B]
 *                            [--rate EVENTS_PER_SECOND] [--violation-percent P] [--keep]
 *
 * Each round creates N source-NATed UDP entries over ctnetlink, then deletes
 * them: one NEW and one DESTROY event per entry, 2*N*R events in all. With
 * --keep (one round only) the entries stay in the table: N NEW events. P% of
 * the entries get a translated port below 32768 (violations under the default
 * allowed range), the rest one in 32768-65535; all are remapped (the pod's own
 * port is 40000+), none ever sees a reply. --rate paces the batches (0 = as
 * fast as the kernel takes them). Prints one line on stdout:
 *
 *   flood: entries=N rounds=R events=E violations=V seconds=T rate=X events/s errors=0
 *
 * events= is what the kernel accepted (sent minus refused messages); with
 * errors=0 it is 2*N*R (N with --keep).
 *
 * The entries are made the way ctfill makes them (un-NATed reply tuple plus
 * CTA_NAT_SRC with min = max address and port, so nf_nat_setup_info sets
 * IPS_SRC_NAT as for real masquerade) and live 60 s at most if the deletes
 * never run. It writes to the conntrack table of the namespace it runs in,
 * so it refuses to run anywhere but in a namespace made by `ip netns add`.
 *
 * Build: gcc -O2 -o ctflood ctflood.c $(pkg-config --cflags --libs libmnl)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#define BATCH_BYTES (128 * 1024)
#define NDST 250

static long entries = 10000, rounds = 1, batch = 256, violation_percent = 50;
static double rate;
static int keep;
static long errors;      /* messages the kernel refused (each one event fewer) */
static long overflowed;  /* our own socket overflowed: refusals may have gone uncounted */

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* Entry i: pod 10.244.x.y:40000+, server 203.0.113.(1 + i % 250):53 UDP,
 * translated 198.51.100.2:port with port unique per server. */
static uint32_t pod(long i) { return htonl(0x0af40000u | (uint32_t)(i & 0xffff)); }
static uint16_t pod_port(long i) { return htons(40000 + (uint16_t)(i >> 16)); }
static uint32_t server(long i) { return htonl(0xcb007100u | (uint32_t)(1 + i % NDST)); }
static int is_violation(long i) { return (i * 37 % 100) < violation_percent; }
static uint16_t translated_port(long i)
{
	long slot = i / NDST;
	return htons(is_violation(i) ? 1024 + slot % 31744 : 32768 + slot % 32768);
}

static void put_tuple(struct nlmsghdr *nlh, int type, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	struct nlattr *tuple = mnl_attr_nest_start(nlh, type), *nest;
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, src);
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, dst);
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_UDP);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, sport);
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, dport);
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_nest_end(nlh, tuple);
}

static struct nlmsghdr *put_header(char *at, int type, int flags, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	struct nfgenmsg *nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfh));
	nfh->nfgen_family = AF_INET;
	nfh->version = NFNETLINK_V0;
	nfh->res_id = 0;
	return nlh;
}

static size_t put_create(char *at, long i, uint32_t seq)
{
	struct nlmsghdr *nlh = put_header(at, IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL, seq);
	uint32_t node = htonl(0xc6336402u); /* 198.51.100.2 */
	uint16_t dns = htons(53), port = translated_port(i);
	put_tuple(nlh, CTA_TUPLE_ORIG, pod(i), server(i), pod_port(i), dns);
	put_tuple(nlh, CTA_TUPLE_REPLY, server(i), pod(i), dns, pod_port(i));
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(60));
	struct nlattr *nat = mnl_attr_nest_start(nlh, CTA_NAT_SRC), *proto;
	mnl_attr_put_u32(nlh, CTA_NAT_V4_MINIP, node);
	mnl_attr_put_u32(nlh, CTA_NAT_V4_MAXIP, node);
	proto = mnl_attr_nest_start(nlh, CTA_NAT_PROTO);
	mnl_attr_put_u16(nlh, CTA_PROTONAT_PORT_MIN, port);
	mnl_attr_put_u16(nlh, CTA_PROTONAT_PORT_MAX, port);
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, nat);
	return nlh->nlmsg_len;
}

static size_t put_delete(char *at, long i, uint32_t seq)
{
	struct nlmsghdr *nlh = put_header(at, IPCTNL_MSG_CT_DELETE, 0, seq);
	put_tuple(nlh, CTA_TUPLE_ORIG, pod(i), server(i), pod_port(i), htons(53));
	return nlh->nlmsg_len;
}

/* Errors come back as NLMSG_ERROR (no ACKs were asked for): count them. */
static void drain_errors(int fd)
{
	static char buf[64 * 1024];
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) return;
			if (errno == EINTR) continue;
			if (errno == ENOBUFS) { overflowed++; continue; }
			perror("ctflood: recv");
			exit(1);
		}
		for (struct nlmsghdr *nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, (int)len);
		     nlh = mnl_nlmsg_next(nlh, (int *)&len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR) continue;
			struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
			if (err->error == 0) continue;
			if (errors++ < 5) fprintf(stderr, "ctflood: kernel refused a message: %s\n", strerror(-err->error));
		}
	}
}

/* Sends messages [0, entries) built by `put`, `batch` per sendmsg, paced to `rate`. */
static void run(struct mnl_socket *nl, size_t (*put)(char *, long, uint32_t), double start, long *sent_events)
{
	static char buf[BATCH_BYTES];
	static uint32_t seq;
	for (long i = 0; i < entries;) {
		size_t used = 0;
		long n = 0;
		while (i < entries && n < batch && used + 1024 < sizeof(buf)) {
			used += put(buf + used, i, ++seq);
			i++;
			n++;
		}
		if (mnl_socket_sendto(nl, buf, used) < 0) { perror("ctflood: sendmsg"); exit(1); }
		*sent_events += n;
		drain_errors(mnl_socket_get_fd(nl));
		if (rate > 0) {
			double due = start + *sent_events / rate, t = now();
			if (due > t) usleep((useconds_t)((due - t) * 1e6));
		}
	}
}

/* Only a namespace made with `ip netns add` (a file under /run/netns with
 * the same inode) qualifies, and never the one pid 1 is in. */
static int in_named_test_namespace(void)
{
	struct stat self, other;
	if (stat("/proc/self/ns/net", &self) != 0) return 0;
	if (stat("/proc/1/ns/net", &other) == 0 && other.st_ino == self.st_ino && other.st_dev == self.st_dev)
		return 0;
	DIR *dir = opendir("/run/netns");
	if (!dir) return 0;
	int found = 0;
	for (struct dirent *entry; !found && (entry = readdir(dir));) {
		char path[512];
		snprintf(path, sizeof(path), "/run/netns/%s", entry->d_name);
		if (entry->d_name[0] != '.' && stat(path, &other) == 0 &&
		    other.st_ino == self.st_ino && other.st_dev == self.st_dev)
			found = 1;
	}
	closedir(dir);
	return found;
}

static void usage(void)
{
	fprintf(stderr, "usage: ip netns exec NS ctflood [--entries N] [--rounds R] [--batch B] "
			"[--rate EVENTS_PER_SECOND] [--violation-percent P] [--keep]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--keep")) { keep = 1; continue; }
		if (i + 1 >= argc) usage();
		const char *opt = argv[i], *val = argv[++i];
		if (!strcmp(opt, "--entries")) entries = atol(val);
		else if (!strcmp(opt, "--rounds")) rounds = atol(val);
		else if (!strcmp(opt, "--batch")) batch = atol(val);
		else if (!strcmp(opt, "--rate")) rate = atof(val);
		else if (!strcmp(opt, "--violation-percent")) violation_percent = atol(val);
		else usage();
	}
	if (entries <= 0 || entries > NDST * 31744L || rounds <= 0 || batch <= 0 || rate < 0 || (keep && rounds != 1)) usage();
	if (!in_named_test_namespace()) {
		fprintf(stderr, "ctflood: refusing to write to this conntrack table: not a namespace from "
				"'ip netns add' (run it under 'ip netns exec NS')\n");
		return 3;
	}
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) { perror("ctflood: netlink socket"); return 3; }
	int size = 4 << 20;
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));

	long violations = 0;
	for (long i = 0; i < entries; i++) violations += is_violation(i);
	long sent = 0;
	double start = now();
	for (long r = 0; r < rounds; r++) {
		run(nl, put_create, start, &sent);
		if (!keep) run(nl, put_delete, start, &sent);
	}
	double seconds = now() - start;
	usleep(100 * 1000);
	drain_errors(mnl_socket_get_fd(nl));
	/* events= counts what the kernel accepted: every refused message (an
	 * NLMSG_ERROR) is one event that never happened. Readers compare their
	 * handled + lost with this number, not with entries x 2. */
	printf("flood: entries=%ld rounds=%ld events=%ld violations=%ld seconds=%.3f rate=%.0f events/s errors=%ld%s\n",
	       entries, rounds, sent - errors, violations * rounds, seconds, sent / seconds, errors,
	       overflowed ? " refusals-uncounted=1" : "");
	mnl_socket_close(nl);
	return errors || overflowed ? 1 : 0;
}
