/*
 * ctfill — fill the conntrack table of the current network namespace with N
 * synthetic but kernel-real entries over ctnetlink, for benchmarks and tests.
 *
 *   ip netns exec NS ctfill N [--seed S] [--violation-share 0.03]
 *                             [--snat-share 0.5] [--v6-share 0.2]
 *                             [--udp-share 0.3] [--timeout 3600]
 *
 * Prints one line on stdout:
 *   filled N entries: snat=S violations=V (translated port outside 32768-65535) in T s
 * N/S/V count only entries the kernel accepted. Exit 0 if every entry was
 * accepted, 1 if some were refused (reasons on stderr), 2 on usage errors.
 *
 * How a source-NATed entry is made: the kernel ignores NAT bits in CTA_STATUS
 * (IPS_UNCHANGEABLE_MASK), so we send the un-NATed reply tuple (the inverse of
 * the original) plus CTA_NAT_SRC with min = max = node address and port. The
 * kernel then runs nf_nat_setup_info(), which rewrites the reply tuple, sets
 * IPS_SRC_NAT|IPS_SRC_NAT_DONE and links the entry into the NAT bysource hash,
 * exactly as for a flow that went through MASQUERADE. Sending the NATed reply
 * tuple directly would NOT work: nf_nat_setup_info would see no change and
 * leave IPS_SRC_NAT unset.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>

#define PORT_LO 32768 /* the audited range is PORT_LO..65535 */
#define NPODS 65024   /* 10.244.0.1 .. 10.244.255.254 (254 hosts per /24) */
#define EPH_LO 32768  /* Linux default ip_local_port_range 32768-60999 */
#define EPH_N 28232
#define NDST 254
#define NDPORT 8
#define BATCH_BYTES (64 * 1024) /* well below the default 208 KiB sk_sndbuf */

enum kind { PLAIN, SNAT_OK, SNAT_BAD };

static const uint16_t tcp_dports[NDPORT] = {443, 80, 8443, 6443, 5432, 9000, 22, 3306};
static const uint16_t udp_dports[NDPORT] = {53, 123, 443, 51820, 500, 4500, 1194, 3478};

/* splitmix64: tiny, seedable and identical everywhere, so --seed reproduces
 * the same table on any machine. */
static uint64_t rng_state;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}
static double rnd01(void) { return (rnd() >> 11) * (1.0 / 9007199254740992.0); }
static uint32_t rnd_below(uint32_t n) { return (uint32_t)(rnd01() * n); }

/* One bit per possible NATed reply tuple (family, proto, dst, dport, port).
 * Two SNAT entries with the same reply tuple would make the second insert
 * fail with EEXIST (min = max port leaves the kernel no alternative), so
 * translated ports are drawn until unused. 64 MiB virtual, touched sparsely. */
static uint8_t *used;
static int take_reply(int v6, int udp, int dst, int dpi, uint16_t port)
{
	size_t bit = ((((size_t)v6 * 2 + udp) * 256 + dst) * NDPORT + dpi) * 65536 + port;
	if (used[bit >> 3] & (1u << (bit & 7)))
		return 0;
	used[bit >> 3] |= 1u << (bit & 7);
	return 1;
}

struct addr { uint8_t b[16]; };
struct flow {
	int v6, udp, kind;
	struct addr pod, dst, node;
	uint16_t sport, dport, tport;
};

static void mkaddr(struct addr *a, int v6, const char *base, unsigned hi, unsigned lo)
{
	memset(a, 0, sizeof(*a));
	inet_pton(v6 ? AF_INET6 : AF_INET, base, a->b);
	if (v6) {             /* base::/48 or /64: put hi in word 3, lo in the last */
		a->b[6] = hi >> 8; a->b[7] = hi;
		a->b[14] = lo >> 8; a->b[15] = lo;
	} else {              /* hi only for the pods' /16; 0 keeps a /24 base */
		if (hi) a->b[2] = hi;
		a->b[3] = lo;
	}
}

/* Entry i's original tuple is unique by construction: pod = i mod NPODS and,
 * for that pod, sport is a bijection of i / NPODS (7919 is coprime to EPH_N),
 * so no two entries ever share (pod, sport). */
static void make_flow(struct flow *f, uint64_t i, int kind, double v6_share, double udp_share)
{
	unsigned p = i % NPODS, q = (unsigned)(i / NPODS);
	int dpi;

	f->kind = kind;
	f->v6 = rnd01() < v6_share;
	f->udp = rnd01() < udp_share;
	mkaddr(&f->pod, f->v6, f->v6 ? "fd00:10:244::" : "10.244.0.0", p / 254, p % 254 + 1);
	f->sport = EPH_LO + (uint16_t)(((uint64_t)q * 7919 + (uint64_t)p * 31) % EPH_N);
	for (;;) {
		int d = rnd_below(NDST);
		dpi = rnd_below(NDPORT);
		mkaddr(&f->dst, f->v6, f->v6 ? "2001:db8:2::" : "203.0.113.0", 0, d + 1);
		f->dport = (f->udp ? udp_dports : tcp_dports)[dpi];
		if (kind == PLAIN) {
			f->tport = f->sport;
			return;
		}
		/* A third of the well-behaved SNAT flows keep the pod's port (plain
		 * masquerade: only the address changes, IPS_SRC_NAT still set). */
		if (kind == SNAT_BAD)
			f->tport = 1024 + rnd_below(PORT_LO - 1024);
		else if (rnd_below(3) == 0)
			f->tport = f->sport;
		else
			f->tport = PORT_LO + rnd_below(65536 - PORT_LO);
		if (take_reply(f->v6, f->udp, d, dpi, f->tport))
			break;
	}
	mkaddr(&f->node, f->v6, f->v6 ? "2001:db8:1::" : "198.51.100.0", 0, 2);
}

static void put_tuple(struct nlmsghdr *nlh, int type, const struct flow *f,
		      const struct addr *src, const struct addr *dst,
		      uint16_t sport, uint16_t dport)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type), *n;

	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (f->v6) {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, src->b);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, dst->b);
	} else {
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, src->b);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, dst->b);
	}
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, f->udp ? IPPROTO_UDP : IPPROTO_TCP);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(dport));
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, t);
}

static void put_new(char *buf, uint32_t seq, const struct flow *f, uint32_t timeout)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	struct nlattr *n, *m;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	/* No NLM_F_ACK: the kernel still reports failures as NLMSG_ERROR. */
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = f->v6 ? AF_INET6 : AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;

	put_tuple(nlh, CTA_TUPLE_ORIG, f, &f->pod, &f->dst, f->sport, f->dport);
	/* Always the un-NATed inverse; see the header comment. */
	put_tuple(nlh, CTA_TUPLE_REPLY, f, &f->dst, &f->pod, f->dport, f->sport);

	/* Plain flows get a "null binding" to their own address and port, like
	 * any flow that crossed a nat hook unchanged: the kernel then sets
	 * IPS_SRC_NAT_DONE but not IPS_SRC_NAT, the trap a decoder must avoid.
	 * (CTA_NAT_DST is absent, so the kernel adds a null DST binding too.) */
	const struct addr *to = f->kind == PLAIN ? &f->pod : &f->node;
	n = mnl_attr_nest_start(nlh, CTA_NAT_SRC);
	mnl_attr_put(nlh, f->v6 ? CTA_NAT_V6_MINIP : CTA_NAT_V4_MINIP, f->v6 ? 16 : 4, to->b);
	mnl_attr_put(nlh, f->v6 ? CTA_NAT_V6_MAXIP : CTA_NAT_V4_MAXIP, f->v6 ? 16 : 4, to->b);
	m = mnl_attr_nest_start(nlh, CTA_NAT_PROTO);
	mnl_attr_put_u16(nlh, CTA_PROTONAT_PORT_MIN, htons(f->tport));
	mnl_attr_put_u16(nlh, CTA_PROTONAT_PORT_MAX, htons(f->tport));
	mnl_attr_nest_end(nlh, m);
	mnl_attr_nest_end(nlh, n);
	/* The kernel marks a new entry CONFIRMED before applying CTA_STATUS and
	 * answers EBUSY if we try to clear it. ASSURED also keeps the entries
	 * safe from early_drop if the table fills. */
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(IPS_CONFIRMED | IPS_SEEN_REPLY | IPS_ASSURED));
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(timeout));
	if (!f->udp) {
		n = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		m = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
		mnl_attr_nest_end(nlh, m);
		mnl_attr_nest_end(nlh, n);
	}
}

static uint8_t *kinds;          /* kind of entry seq-1, to uncount refused ones */
static uint64_t nkinds;
static uint64_t count[3], refused, errno_hist[256];
static int lost_errors;

/* Errors for a batch are queued synchronously while sendmsg runs, so a
 * non-blocking drain right after each send sees all of them. */
static void drain_errors(struct mnl_socket *nl)
{
	static char buf[256 * 1024];
	for (;;) {
		ssize_t len = recv(mnl_socket_get_fd(nl), buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == ENOBUFS) { lost_errors = 1; continue; }
			perror("recv"); exit(1);
		}
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		int left = (int)len;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			if (e->error == 0)
				continue;
			refused++;
			errno_hist[-e->error & 255]++;
			if (nlh->nlmsg_seq >= 1 && nlh->nlmsg_seq <= nkinds)
				count[kinds[nlh->nlmsg_seq - 1]]--;
		}
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: ctfill N [--seed S] [--violation-share 0.03] [--snat-share 0.5]\n"
			"              [--v6-share 0.2] [--udp-share 0.3] [--timeout 3600]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	double vshare = 0.03, sshare = 0.5, v6share = 0.2, udpshare = 0.3;
	uint64_t n = 0, seed = 1, i, vrem, srem;
	uint32_t timeout = 3600;
	int have_n = 0;

	for (int a = 1; a < argc; a++) {
		const char *o = argv[a];
		if (o[0] != '-') {
			char *end;
			n = strtoull(o, &end, 10);
			if (*end || have_n++) usage();
			continue;
		}
		if (a + 1 >= argc) usage();
		const char *v = argv[++a];
		if (!strcmp(o, "--seed")) seed = strtoull(v, NULL, 0);
		else if (!strcmp(o, "--violation-share")) vshare = atof(v);
		else if (!strcmp(o, "--snat-share")) sshare = atof(v);
		else if (!strcmp(o, "--v6-share")) v6share = atof(v);
		else if (!strcmp(o, "--udp-share")) udpshare = atof(v);
		else if (!strcmp(o, "--timeout")) timeout = strtoul(v, NULL, 0);
		else usage();
	}
	if (!have_n || n > (uint64_t)NPODS * EPH_N || vshare < 0 || sshare > 1 || vshare > sshare)
		usage();
	rng_state = seed;

	used = calloc((size_t)2 * 2 * 256 * NDPORT * 65536 / 8, 1);
	kinds = malloc(n ? n : 1);
	nkinds = n;
	if (!used || !kinds) { perror("calloc"); return 1; }

	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink"); return 1;
	}
	/* Room for a whole batch of error replies (CAP_ACK keeps each small). */
	int one = 1, rcvbuf = 8 << 20;
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));

	/* Exact counts, randomly placed: selection sampling (Knuth's algorithm S)
	 * picks exactly round(N*share) entries of each kind. */
	vrem = (uint64_t)(n * vshare + 0.5);
	srem = (uint64_t)(n * sshare + 0.5) - vrem;

	static char batch[BATCH_BYTES];
	size_t used_bytes = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		double r = rnd01() * (double)(n - i);
		int kind = r < vrem ? SNAT_BAD : r < vrem + srem ? SNAT_OK : PLAIN;
		struct flow f;

		if (kind == SNAT_BAD) vrem--;
		else if (kind == SNAT_OK) srem--;
		kinds[i] = kind;
		count[kind]++;
		make_flow(&f, i, kind, v6share, udpshare);
		if (used_bytes + 512 > sizeof(batch)) {  /* 512 > largest message */
			if (mnl_socket_sendto(nl, batch, used_bytes) < 0) { perror("sendmsg"); return 1; }
			drain_errors(nl);
			used_bytes = 0;
		}
		put_new(batch + used_bytes, (uint32_t)(i + 1), &f, timeout);
		used_bytes += NLMSG_ALIGN(((struct nlmsghdr *)(batch + used_bytes))->nlmsg_len);
	}
	if (used_bytes) {
		if (mnl_socket_sendto(nl, batch, used_bytes) < 0) { perror("sendmsg"); return 1; }
		drain_errors(nl);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	mnl_socket_close(nl);

	for (int e = 0; e < 256; e++)
		if (errno_hist[e])
			fprintf(stderr, "ctfill: %llu entries refused: %s%s\n",
				(unsigned long long)errno_hist[e], strerror(e),
				e == ENOMEM ? " (table full? raise net.netfilter.nf_conntrack_max)" : "");
	if (lost_errors)
		fprintf(stderr, "ctfill: error replies were lost (ENOBUFS); counts are upper bounds\n");

	printf("filled %llu entries: snat=%llu violations=%llu (translated port outside %d-65535) in %.2f s\n",
	       (unsigned long long)(count[0] + count[1] + count[2]),
	       (unsigned long long)(count[1] + count[2]), (unsigned long long)count[2], PORT_LO,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return refused || lost_errors ? 1 : 0;
}
