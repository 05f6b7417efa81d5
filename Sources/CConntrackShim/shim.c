// The compiled half of the C boundary; see include/ctaudit_shim.h.
//
// Compiled with _GNU_SOURCE (Package.swift) so that glibc declares setns(2),
// recvmmsg(2) and struct mmsghdr itself instead of ctaudit repeating them.
// The _Static_asserts below pin every layout the Swift side reads by hand
// (netlink headers, attributes, error replies), every bpf_attr field these
// helpers fill, and the upstream BPF map structs whose byte offsets the
// Cilium/Calico decoders use: a header or ABI that disagrees fails the build
// instead of decoding garbage.
#ifndef _GNU_SOURCE
#error "shim.c must be compiled with _GNU_SOURCE (see Package.swift)"
#endif

#include "ctaudit_shim.h"

#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

// ---- Netlink framing, as NetlinkMessage / NetlinkAttributeCursor read it ----

// NetlinkMessage.headerSize and the offsets it loads (length, type, flags, seq, pid).
_Static_assert(sizeof(struct nlmsghdr) == 16, "struct nlmsghdr is 16 bytes");
_Static_assert(NLMSG_HDRLEN == 16, "NLMSG_HDRLEN is 16");
_Static_assert(NLMSG_ALIGNTO == 4, "netlink messages are 4-byte aligned");
_Static_assert(offsetof(struct nlmsghdr, nlmsg_len) == 0 && sizeof(((struct nlmsghdr *)0)->nlmsg_len) == 4,
               "nlmsg_len: u32 at 0");
_Static_assert(offsetof(struct nlmsghdr, nlmsg_type) == 4 && sizeof(((struct nlmsghdr *)0)->nlmsg_type) == 2,
               "nlmsg_type: u16 at 4");
_Static_assert(offsetof(struct nlmsghdr, nlmsg_flags) == 6 && sizeof(((struct nlmsghdr *)0)->nlmsg_flags) == 2,
               "nlmsg_flags: u16 at 6");
_Static_assert(offsetof(struct nlmsghdr, nlmsg_seq) == 8, "nlmsg_seq: u32 at 8");
_Static_assert(offsetof(struct nlmsghdr, nlmsg_pid) == 12, "nlmsg_pid: u32 at 12");
// NLMSG_ERROR: the payload starts with a negative errno (Int32), then the request's header.
_Static_assert(offsetof(struct nlmsgerr, error) == 0 && sizeof(((struct nlmsgerr *)0)->error) == 4,
               "nlmsgerr.error: s32 at 0");
_Static_assert(offsetof(struct nlmsgerr, msg) == 4, "nlmsgerr.msg follows the errno");
// The flag bits NetlinkMessage.Flags names.
_Static_assert(NLM_F_DUMP_INTR == 0x10 && NLM_F_DUMP_FILTERED == 0x20, "NLM_F_DUMP_INTR/FILTERED bits");
// The nfgenmsg every ctnetlink message carries after its header (family, version, res_id).
_Static_assert(sizeof(struct nfgenmsg) == 4, "struct nfgenmsg is 4 bytes");
_Static_assert(offsetof(struct nfgenmsg, nfgen_family) == 0 && offsetof(struct nfgenmsg, version) == 1 &&
               offsetof(struct nfgenmsg, res_id) == 2, "nfgenmsg: family u8, version u8, res_id be16");
// NetlinkAttributeCursor: u16 length, u16 type (top two bits flags), 4-byte alignment.
_Static_assert(sizeof(struct nlattr) == 4, "struct nlattr is 4 bytes");
_Static_assert(NLA_HDRLEN == 4 && NLA_ALIGNTO == 4, "attribute header 4 bytes, 4-byte aligned");
_Static_assert(offsetof(struct nlattr, nla_len) == 0 && offsetof(struct nlattr, nla_type) == 2,
               "nlattr: len u16 at 0, type u16 at 2");
_Static_assert((uint16_t)NLA_TYPE_MASK == 0x3fff, "NetlinkAttributeCursor.typeMask");

// ---- sock_diag: struct inet_diag_msg, as ListeningSocketReader decodes it ----
_Static_assert(sizeof(struct inet_diag_msg) == 72, "struct inet_diag_msg is 72 bytes");
_Static_assert(offsetof(struct inet_diag_msg, idiag_family) == 0 && offsetof(struct inet_diag_msg, idiag_state) == 1,
               "inet_diag_msg: family u8 at 0, state u8 at 1");
_Static_assert(offsetof(struct inet_diag_msg, id) == 4, "inet_diag_msg.id at 4");
_Static_assert(offsetof(struct inet_diag_sockid, idiag_sport) == 0 && offsetof(struct inet_diag_sockid, idiag_src) == 4,
               "inet_diag_sockid: sport be16 at 0, src (16 bytes) at 4");
_Static_assert(sizeof(((struct inet_diag_sockid *)0)->idiag_src) == 16, "idiag_src holds an IPv6 address");
_Static_assert(offsetof(struct inet_diag_msg, idiag_inode) == 68, "inet_diag_msg.idiag_inode: u32 at 68");
_Static_assert(SOCK_DIAG_BY_FAMILY == 20, "SOCK_DIAG_BY_FAMILY");

uint32_t ctaudit_build_inet_diag_request(void *buf, size_t size, uint32_t seq, uint8_t family,
                                         uint8_t protocol, uint32_t states) {
    if (size < MNL_NLMSG_HDRLEN + sizeof(struct inet_diag_req_v2)) return 0;
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = seq;
    struct inet_diag_req_v2 *req = mnl_nlmsg_put_extra_header(nlh, sizeof(struct inet_diag_req_v2));
    memset(req, 0, sizeof(*req));
    req->sdiag_family = family;
    req->sdiag_protocol = protocol;
    req->idiag_states = states;
    return nlh->nlmsg_len;
}

// ---- Requests ----

static struct nlmsghdr *put_ctnetlink_header(void *buf, uint16_t type, uint16_t flags, uint32_t seq) {
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = (uint16_t)((NFNL_SUBSYS_CTNETLINK << 8) | type);
    nlh->nlmsg_flags = flags;
    nlh->nlmsg_seq = seq;
    struct nfgenmsg *nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
    nfh->nfgen_family = AF_UNSPEC;
    nfh->version = NFNETLINK_V0;
    nfh->res_id = 0;
    return nlh;
}

uint32_t ctaudit_build_dump_request(void *buf, size_t size, uint32_t seq, uint32_t status_filter_mask) {
    if (size < MNL_SOCKET_BUFFER_SIZE) return 0;
    struct nlmsghdr *nlh = put_ctnetlink_header(buf, IPCTNL_MSG_CT_GET, NLM_F_REQUEST | NLM_F_DUMP, seq);
    if (status_filter_mask != 0) {
        struct nfct_filter_dump *filter = nfct_filter_dump_create();
        if (filter == NULL) return 0;
        struct nfct_filter_dump_mark status = { .val = status_filter_mask, .mask = status_filter_mask };
        nfct_filter_dump_set_attr(filter, NFCT_FILTER_DUMP_STATUS, &status);
        int rc = nfct_nlmsg_build_filter(nlh, filter);
        nfct_filter_dump_destroy(filter);
        if (rc < 0) return 0;
    }
    return nlh->nlmsg_len;
}

uint32_t ctaudit_build_stats_request(void *buf, size_t size, uint32_t seq) {
    if (size < MNL_SOCKET_BUFFER_SIZE) return 0;
    return put_ctnetlink_header(buf, IPCTNL_MSG_CT_GET_STATS, NLM_F_REQUEST, seq)->nlmsg_len;
}

uint32_t ctaudit_build_stats_cpu_request(void *buf, size_t size, uint32_t seq) {
    if (size < MNL_SOCKET_BUFFER_SIZE) return 0;
    return put_ctnetlink_header(buf, IPCTNL_MSG_CT_GET_STATS_CPU, NLM_F_REQUEST | NLM_F_DUMP, seq)->nlmsg_len;
}

// ---- Sockets and namespaces ----

int ctaudit_setns(int fd, int nstype) {
    return setns(fd, nstype);
}

// ---- Capabilities of a non-root ctaudit (ProcessCapabilities) ----

_Static_assert(_LINUX_CAPABILITY_U32S_3 == 2, "capability sets are two 32-bit words");

static int ctaudit_capget(struct __user_cap_data_struct data[2]) {
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    return (int)syscall(SYS_capget, &header, data);
}

int ctaudit_adopt_permitted_capabilities(uint64_t *permitted) {
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    if (ctaudit_capget(data) != 0) return -1;
    *permitted = ((uint64_t)data[1].permitted << 32) | data[0].permitted;
    for (int word = 0; word < 2; word++) {
        data[word].effective = data[word].permitted;
        // Allowed without CAP_SETPCAP: the new inheritable set stays within permitted.
        data[word].inheritable = data[word].permitted;
    }
    struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
    if (syscall(SYS_capset, &header, data) != 0) return -1;
    for (int cap = 0; cap < 64; cap++) {
        if (!(*permitted & ((uint64_t)1 << cap))) continue;
        // EINVAL: a capability this kernel does not know; EPERM: the
        // SECBIT_NO_CAP_AMBIENT_RAISE securebit. Either way the children
        // run without it and say so themselves (permission denied).
        (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)cap, 0UL, 0UL);
    }
    return 0;
}

int ctaudit_capabilities(uint64_t *effective, uint64_t *ambient) {
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    if (ctaudit_capget(data) != 0) return -1;
    *effective = ((uint64_t)data[1].effective << 32) | data[0].effective;
    *ambient = 0;
    for (int cap = 0; cap < 64; cap++) {
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, (unsigned long)cap, 0UL, 0UL) == 1) *ambient |= (uint64_t)1 << cap;
    }
    return 0;
}

int ctaudit_netlink_bind(int fd) {
    struct sockaddr_nl address;
    memset(&address, 0, sizeof(address));
    address.nl_family = AF_NETLINK;
    return bind(fd, (struct sockaddr *)&address, sizeof(address));
}

enum { recv_batch_max_slots = 64 };

int ctaudit_recv_batch(int fd, void *buf, size_t slot_size, unsigned int slots,
                       uint32_t *lengths, uint8_t *truncated) {
    struct mmsghdr headers[recv_batch_max_slots];
    struct iovec vectors[recv_batch_max_slots];
    if (slots > recv_batch_max_slots) slots = recv_batch_max_slots;
    memset(headers, 0, sizeof(headers[0]) * slots);
    for (unsigned int i = 0; i < slots; i++) {
        vectors[i].iov_base = (char *)buf + (size_t)i * slot_size;
        vectors[i].iov_len = slot_size;
        headers[i].msg_hdr.msg_iov = &vectors[i];
        headers[i].msg_hdr.msg_iovlen = 1;
    }
    int count = recvmmsg(fd, headers, slots, MSG_DONTWAIT, NULL);
    for (int i = 0; i < count; i++) {
        lengths[i] = headers[i].msg_len;
        truncated[i] = (headers[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    }
    return count;
}

// ---- bpf(2) ----
// Offsets are the kernel's ABI (include/uapi/linux/bpf.h): older or newer
// headers that moved a field would make the kernel read another one.

_Static_assert(offsetof(union bpf_attr, pathname) == 0, "BPF_OBJ_GET: pathname at 0");
_Static_assert(offsetof(union bpf_attr, bpf_fd) == 8, "BPF_OBJ_GET: bpf_fd at 8");
_Static_assert(offsetof(union bpf_attr, file_flags) == 12, "BPF_OBJ_GET: file_flags at 12");
_Static_assert(offsetof(union bpf_attr, info.bpf_fd) == 0 && offsetof(union bpf_attr, info.info_len) == 4 &&
               offsetof(union bpf_attr, info.info) == 8, "BPF_OBJ_GET_INFO_BY_FD: bpf_fd, info_len, info");
_Static_assert(offsetof(union bpf_attr, map_fd) == 0 && offsetof(union bpf_attr, key) == 8 &&
               offsetof(union bpf_attr, value) == 16 && offsetof(union bpf_attr, next_key) == 16,
               "BPF_MAP_LOOKUP_ELEM / GET_NEXT_KEY: map_fd, key, value|next_key");
_Static_assert(offsetof(union bpf_attr, batch.in_batch) == 0 && offsetof(union bpf_attr, batch.out_batch) == 8 &&
               offsetof(union bpf_attr, batch.keys) == 16 && offsetof(union bpf_attr, batch.values) == 24 &&
               offsetof(union bpf_attr, batch.count) == 32 && offsetof(union bpf_attr, batch.map_fd) == 36,
               "BPF_MAP_LOOKUP_BATCH: in_batch, out_batch, keys, values, count, map_fd");
_Static_assert(offsetof(struct bpf_map_info, type) == 0 && offsetof(struct bpf_map_info, id) == 4 &&
               offsetof(struct bpf_map_info, key_size) == 8 && offsetof(struct bpf_map_info, value_size) == 12 &&
               offsetof(struct bpf_map_info, max_entries) == 16 && offsetof(struct bpf_map_info, name) == 24,
               "struct bpf_map_info: the fields ctaudit_bpf_map_facts copies");
_Static_assert(sizeof(((struct bpf_map_info *)0)->name) == BPF_OBJ_NAME_LEN &&
               sizeof(((struct ctaudit_bpf_map_facts *)0)->name) == BPF_OBJ_NAME_LEN,
               "map names are BPF_OBJ_NAME_LEN bytes in both");
_Static_assert(BPF_MAP_TYPE_HASH == 1 && BPF_MAP_TYPE_LRU_HASH == 9, "map type numbers BPFMapFacts compares");

static long bpf_call(int command, union bpf_attr *attr) {
    return syscall(__NR_bpf, command, attr, sizeof(*attr));
}

int ctaudit_bpf_obj_get_readonly(const char *path) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.pathname = (uint64_t)(uintptr_t)path;
    attr.file_flags = BPF_F_RDONLY;
    return (int)bpf_call(BPF_OBJ_GET, &attr);
}

int ctaudit_bpf_map_facts(int fd, struct ctaudit_bpf_map_facts *facts) {
    struct bpf_map_info info;
    union bpf_attr attr;
    memset(&info, 0, sizeof(info));
    memset(&attr, 0, sizeof(attr));
    attr.info.bpf_fd = (uint32_t)fd;
    attr.info.info_len = sizeof(info);
    attr.info.info = (uint64_t)(uintptr_t)&info;
    int rc = (int)bpf_call(BPF_OBJ_GET_INFO_BY_FD, &attr);
    if (rc != 0) return rc;
    facts->type = info.type;
    facts->key_size = info.key_size;
    facts->value_size = info.value_size;
    facts->max_entries = info.max_entries;
    facts->id = info.id;
    memcpy(facts->name, info.name, sizeof(facts->name));
    facts->name[sizeof(facts->name) - 1] = 0;
    return 0;
}

int ctaudit_bpf_map_next_key(int fd, const void *key, void *next_key) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.map_fd = (uint32_t)fd;
    attr.key = (uint64_t)(uintptr_t)key;
    attr.next_key = (uint64_t)(uintptr_t)next_key;
    return (int)bpf_call(BPF_MAP_GET_NEXT_KEY, &attr);
}

int ctaudit_bpf_map_lookup(int fd, const void *key, void *value) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.map_fd = (uint32_t)fd;
    attr.key = (uint64_t)(uintptr_t)key;
    attr.value = (uint64_t)(uintptr_t)value;
    return (int)bpf_call(BPF_MAP_LOOKUP_ELEM, &attr);
}

int ctaudit_bpf_map_lookup_batch(int fd, const void *in_batch, void *out_batch,
                                 void *keys, void *values, uint32_t *count) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.batch.map_fd = (uint32_t)fd;
    attr.batch.in_batch = (uint64_t)(uintptr_t)in_batch;
    attr.batch.out_batch = (uint64_t)(uintptr_t)out_batch;
    attr.batch.keys = (uint64_t)(uintptr_t)keys;
    attr.batch.values = (uint64_t)(uintptr_t)values;
    attr.batch.count = *count;
    int rc = (int)bpf_call(BPF_MAP_LOOKUP_BATCH, &attr);
    *count = attr.batch.count;
    return rc;
}

// ---- The BPF dataplanes' map entries ----
// Copies of the upstream declarations (Cilium bpf/lib/common.h and nat.h,
// Calico felix/bpf-gpl/conntrack_types.h), used only for these assertions:
// the Swift decoders (CiliumSNATLayout, CalicoConntrackLayout) read the same
// bytes by offset, and the numbers asserted here are the ones they use.
// Calico's conntrack value (88 / 128 bytes) is a union of per-type layouts
// that is not copied here; its size is checked against the map at run time.

union cilium_v6addr { uint8_t addr[16]; } __attribute__((packed));
struct cilium_ipv4_ct_tuple { uint32_t daddr, saddr; uint16_t dport, sport; uint8_t nexthdr, flags; } __attribute__((packed));
struct cilium_ipv6_ct_tuple {
    union cilium_v6addr daddr, saddr;
    uint16_t dport, sport;
    uint8_t nexthdr, flags;
} __attribute__((packed));
struct cilium_nat_entry { uint64_t created, needs_ct, pad1, pad2; };
struct cilium_ipv4_nat_entry { struct cilium_nat_entry common; struct { uint32_t to_addr; uint16_t to_port; }; };
struct cilium_ipv6_nat_entry { struct cilium_nat_entry common; struct { union cilium_v6addr to_addr; uint16_t to_port; }; };

// CiliumSNATLayout: keySize 14 / 38, valueSize 40 / 56; key: daddr, saddr,
// dport at 2 * address, sport + 2, nexthdr + 4, flags + 5; value: port at 32 + address.
_Static_assert(sizeof(struct cilium_ipv4_ct_tuple) == 14 && sizeof(struct cilium_ipv6_ct_tuple) == 38, "Cilium SNAT key sizes");
_Static_assert(sizeof(struct cilium_ipv4_nat_entry) == 40 && sizeof(struct cilium_ipv6_nat_entry) == 56, "Cilium SNAT value sizes");
_Static_assert(offsetof(struct cilium_ipv4_ct_tuple, saddr) == 4 && offsetof(struct cilium_ipv4_ct_tuple, dport) == 8 &&
               offsetof(struct cilium_ipv4_ct_tuple, sport) == 10 && offsetof(struct cilium_ipv4_ct_tuple, nexthdr) == 12 &&
               offsetof(struct cilium_ipv4_ct_tuple, flags) == 13, "Cilium IPv4 key offsets");
_Static_assert(offsetof(struct cilium_ipv6_ct_tuple, saddr) == 16 && offsetof(struct cilium_ipv6_ct_tuple, dport) == 32 &&
               offsetof(struct cilium_ipv6_ct_tuple, sport) == 34 && offsetof(struct cilium_ipv6_ct_tuple, nexthdr) == 36 &&
               offsetof(struct cilium_ipv6_ct_tuple, flags) == 37, "Cilium IPv6 key offsets");
_Static_assert(offsetof(struct cilium_ipv4_nat_entry, to_addr) == 32 && offsetof(struct cilium_ipv4_nat_entry, to_port) == 36,
               "Cilium IPv4 value: address at 32, port at 32 + 4");
_Static_assert(offsetof(struct cilium_ipv6_nat_entry, to_addr) == 32 && offsetof(struct cilium_ipv6_nat_entry, to_port) == 48,
               "Cilium IPv6 value: address at 32, port at 32 + 16");

// CalicoConntrackLayout: keySize 16 / 40; protocol, addr_a at 4, addr_b at
// 4 + address, port_a at 4 + 2 * address, port_b at 6 + 2 * address.
struct calico_ct_key_v4 { uint32_t protocol; uint32_t addr_a, addr_b; uint16_t port_a, port_b; };
struct calico_ct_key_v6 { uint32_t protocol; uint8_t addr_a[16], addr_b[16]; uint16_t port_a, port_b; };
_Static_assert(sizeof(struct calico_ct_key_v4) == 16 && sizeof(struct calico_ct_key_v6) == 40, "Calico conntrack key sizes");
_Static_assert(offsetof(struct calico_ct_key_v4, addr_b) == 8 && offsetof(struct calico_ct_key_v4, port_a) == 12 &&
               offsetof(struct calico_ct_key_v4, port_b) == 14, "Calico IPv4 key offsets");
_Static_assert(offsetof(struct calico_ct_key_v6, addr_b) == 20 && offsetof(struct calico_ct_key_v6, port_a) == 36 &&
               offsetof(struct calico_ct_key_v6, port_b) == 38, "Calico IPv6 key offsets");
