/*
 * ctdump-raw — the "raw dump floor": the cheapest possible full conntrack
 * dump of the current network namespace. One IPCTNL_MSG_CT_GET dump request
 * (family AF_UNSPEC: IPv4 and IPv6), every datagram received and discarded
 * without decoding. Anything that decodes the entries can only be slower.
 *
 *   ip netns exec NS ctdump-raw [--status-filter] [--hex FILE]
 *
 *   --status-filter  ask the kernel to send only entries with IPS_SRC_NAT set
 *                    (CTA_STATUS + CTA_STATUS_MASK, Linux 5.15+)
 *   --hex FILE       also write every received datagram, exactly the bytes
 *                    recv() returned, as one line of lowercase hex to FILE,
 *                    including the final NLMSG_DONE datagram: decoder test
 *                    fixtures captured from the real kernel
 *
 * Prints "messages=N" on stdout (N = conntrack entries, NLMSG_DONE excluded).
 * Exit 0 on success, 1 on a netlink error (e.g. EINVAL from a kernel that
 * does not know the status filter), 2 on usage errors.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

/* The kernel sizes dump skbs by the largest read it has seen, capped at
 * 32 KiB, so a 32 KiB buffer never truncates; 64 KiB leaves headroom. */
#define RXBUF (64 * 1024)

static void usage(void)
{
	fprintf(stderr, "usage: ctdump-raw [--status-filter] [--hex FILE]\n");
	exit(2);
}

static void write_hex(FILE *out, const unsigned char *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	static char line[2 * RXBUF + 1];
	for (size_t i = 0; i < len; i++) {
		line[2 * i] = digits[p[i] >> 4];
		line[2 * i + 1] = digits[p[i] & 15];
	}
	line[2 * len] = '\n';
	if (fwrite(line, 1, 2 * len + 1, out) != 2 * len + 1) {
		perror("write hex");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	int status_filter = 0;
	const char *hex_path = NULL;
	FILE *hex = NULL;

	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--status-filter"))
			status_filter = 1;
		else if (!strcmp(argv[a], "--hex") && a + 1 < argc)
			hex_path = argv[++a];
		else
			usage();
	}
	if (hex_path && !(hex = fopen(hex_path, "w"))) {
		perror(hex_path);
		return 1;
	}

	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		return 1;
	}

	static char buf[RXBUF];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;

	if (status_filter) {
		/* libnetfilter_conntrack writes CTA_STATUS and CTA_STATUS_MASK
		 * (both big-endian u32) for us. Not setting L3NUM keeps AF_UNSPEC. */
		struct nfct_filter_dump *f = nfct_filter_dump_create();
		struct nfct_filter_dump_mark m = { .val = IPS_SRC_NAT, .mask = IPS_SRC_NAT };
		if (!f) { perror("nfct_filter_dump_create"); return 1; }
		nfct_filter_dump_set_attr(f, NFCT_FILTER_DUMP_STATUS, &m);
		if (nfct_nlmsg_build_filter(nlh, f) < 0) { perror("nfct_nlmsg_build_filter"); return 1; }
		nfct_filter_dump_destroy(f);
	}

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("sendmsg");
		return 1;
	}

	/* Walk only the headers: enough to count entries and to see where the
	 * dump ends. A dump reply never mixes in unrelated messages because the
	 * socket is fresh and subscribed to no groups. */
	unsigned long long messages = 0;
	int done = 0, err = 0;
	while (!done) {
		ssize_t len = recv(mnl_socket_get_fd(nl), buf, sizeof(buf), 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			perror("recv");
			return 1;
		}
		if (len == 0)
			break;
		if (hex)
			write_hex(hex, (unsigned char *)buf, (size_t)len);
		int left = (int)len;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
				err = -e->error;
				done = 1;
				break;
			}
			messages++;
		}
	}
	mnl_socket_close(nl);
	if (hex && fclose(hex) != 0) {
		perror(hex_path);
		return 1;
	}
	printf("messages=%llu\n", messages);
	if (err) {
		fprintf(stderr, "ctdump-raw: dump failed: %s%s\n", strerror(err),
			status_filter && err == EINVAL ? " (kernel without CTA_STATUS filter? needs 5.15+)" : "");
		return 1;
	}
	return 0;
}
