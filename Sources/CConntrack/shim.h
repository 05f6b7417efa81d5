// The whole C boundary of ctaudit: kernel and library headers, plus a few
// helpers for things Swift cannot express directly (GNU-only setns, building
// a request in a caller-owned buffer). Only the Conntrack target imports this.
#ifndef CTAUDIT_SHIM_H
#define CTAUDIT_SHIM_H

#include <errno.h>
#include <linux/sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/bpf.h>
#include <sys/syscall.h>

/// setns(2) is declared only under _GNU_SOURCE, and defining that here would
/// make this module's libc types differ from the ones other modules see; so
/// declare the one function we need (glibc 2.14+).
extern int setns(int fd, int nstype);

static inline int ctaudit_setns(int fd, int nstype) {
    return setns(fd, nstype);
}

static inline int ctaudit_clone_newnet(void) { return CLONE_NEWNET; }

/// Builds a ctnetlink dump request (IPCTNL_MSG_CT_GET, NLM_F_DUMP) for all
/// families into `buf`. When `status_filter_mask` is non-zero the kernel is asked
/// (CTA_STATUS + CTA_STATUS_MASK, Linux 5.15+) to return only entries whose
/// status has all of those bits, which skips everything else inside the kernel.
/// Returns the message length, or 0 if the buffer is too small or the library
/// could not encode the filter.
static inline uint32_t ctaudit_build_dump_request(void *buf, size_t size, uint32_t seq,
                                                  uint32_t status_filter_mask) {
    if (size < MNL_SOCKET_BUFFER_SIZE) return 0;
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = seq;
    struct nfgenmsg *nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
    nfh->nfgen_family = AF_UNSPEC;
    nfh->version = NFNETLINK_V0;
    nfh->res_id = 0;
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

/// Builds an IPCTNL_MSG_CT_GET_STATS request: the table's entry count and
/// its maximum, for the namespace the socket was opened in.
static inline uint32_t ctaudit_build_stats_request(void *buf, size_t size, uint32_t seq) {
    if (size < MNL_SOCKET_BUFFER_SIZE) return 0;
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET_STATS;
    nlh->nlmsg_flags = NLM_F_REQUEST;
    nlh->nlmsg_seq = seq;
    struct nfgenmsg *nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
    nfh->nfgen_family = AF_UNSPEC;
    nfh->version = NFNETLINK_V0;
    nfh->res_id = 0;
    return nlh->nlmsg_len;
}

// ---- ctaudit watch / stats (events, per-CPU statistics) ----

/// Builds an IPCTNL_MSG_CT_GET_STATS_CPU dump request: one reply message per
/// possible CPU (nfgenmsg.res_id = CPU number) with the namespace's counters.
static inline uint32_t ctaudit_build_stats_cpu_request(void *buf, size_t size, uint32_t seq) {
    if (size < MNL_SOCKET_BUFFER_SIZE) return 0;
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET_STATS_CPU;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = seq;
    struct nfgenmsg *nfh = mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
    nfh->nfgen_family = AF_UNSPEC;
    nfh->version = NFNETLINK_V0;
    nfh->res_id = 0;
    return nlh->nlmsg_len;
}

/// Binds a netlink socket to an automatic port id with no legacy group mask
/// (groups are joined one by one with NETLINK_ADD_MEMBERSHIP).
static inline int ctaudit_netlink_bind(int fd) {
    struct sockaddr_nl address;
    memset(&address, 0, sizeof(address));
    address.nl_family = AF_NETLINK;
    return bind(fd, (struct sockaddr *)&address, sizeof(address));
}

/// Receives up to `slots` datagrams with one recvmmsg(2) call (declared here
/// because it is GNU-only): datagram i is copied to buf + i * slot_size and its
/// length stored in lengths[i]; truncated[i] is set when it did not fit.
/// Returns the number of datagrams, or -1 with errno (EAGAIN, ENOBUFS, ...).
struct mmsghdr;
extern int recvmmsg(int fd, struct mmsghdr *vmessages, unsigned int vlen, int flags, struct timespec *tmo);
struct ctaudit_mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; };
static inline int ctaudit_recv_batch(int fd, void *buf, size_t slot_size, unsigned int slots,
                                     uint32_t *lengths, uint8_t *truncated) {
    enum { max_slots = 64 };
    struct ctaudit_mmsghdr headers[max_slots];
    struct iovec vectors[max_slots];
    if (slots > max_slots) slots = max_slots;
    memset(headers, 0, sizeof(headers[0]) * slots);
    for (unsigned int i = 0; i < slots; i++) {
        vectors[i].iov_base = (char *)buf + (size_t)i * slot_size;
        vectors[i].iov_len = slot_size;
        headers[i].msg_hdr.msg_iov = &vectors[i];
        headers[i].msg_hdr.msg_iovlen = 1;
    }
    int count = recvmmsg(fd, (struct mmsghdr *)headers, slots, MSG_DONTWAIT, NULL);
    for (int i = 0; i < count; i++) {
        lengths[i] = headers[i].msg_len;
        truncated[i] = (headers[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
    }
    return count;
}

// ---- bpf(2), read-only: the BPF dataplanes' pinned maps (Cilium, Calico). ----
// syscall(2) is variadic and `union bpf_attr` is a union of anonymous structs,
// neither of which Swift can use directly: each command gets a helper.
// All return -1 with errno on failure.

/// BPF_OBJ_GET with BPF_F_RDONLY: a read-only descriptor of the map pinned at `path`.
static inline int ctaudit_bpf_obj_get_readonly(const char *path) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.pathname = (uint64_t)(uintptr_t)path;
    attr.file_flags = BPF_F_RDONLY;
    return (int)syscall(__NR_bpf, BPF_OBJ_GET, &attr, sizeof(attr));
}

/// What BPF_OBJ_GET_INFO_BY_FD says about a map, in the fields ctaudit checks.
struct ctaudit_bpf_map_facts {
    uint32_t type;
    uint32_t key_size;
    uint32_t value_size;
    uint32_t max_entries;
    uint32_t id;
    char name[16];
};

static inline int ctaudit_bpf_map_facts(int fd, struct ctaudit_bpf_map_facts *facts) {
    struct bpf_map_info info;
    union bpf_attr attr;
    memset(&info, 0, sizeof(info));
    memset(&attr, 0, sizeof(attr));
    attr.info.bpf_fd = (uint32_t)fd;
    attr.info.info_len = sizeof(info);
    attr.info.info = (uint64_t)(uintptr_t)&info;
    int rc = (int)syscall(__NR_bpf, BPF_OBJ_GET_INFO_BY_FD, &attr, sizeof(attr));
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

/// BPF_MAP_GET_NEXT_KEY: `key` NULL for the first key. ENOENT after the last.
static inline int ctaudit_bpf_map_next_key(int fd, const void *key, void *next_key) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.map_fd = (uint32_t)fd;
    attr.key = (uint64_t)(uintptr_t)key;
    attr.next_key = (uint64_t)(uintptr_t)next_key;
    return (int)syscall(__NR_bpf, BPF_MAP_GET_NEXT_KEY, &attr, sizeof(attr));
}

/// BPF_MAP_LOOKUP_ELEM: ENOENT when the entry went away meanwhile.
static inline int ctaudit_bpf_map_lookup(int fd, const void *key, void *value) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.map_fd = (uint32_t)fd;
    attr.key = (uint64_t)(uintptr_t)key;
    attr.value = (uint64_t)(uintptr_t)value;
    return (int)syscall(__NR_bpf, BPF_MAP_LOOKUP_ELEM, &attr, sizeof(attr));
}

/// BPF_MAP_LOOKUP_BATCH (Linux 5.6+): up to *count entries into `keys` and
/// `values`; `in_batch` NULL for the first call, then the previous `out_batch`
/// (a hash map's token is a u32 bucket index; give 8 bytes). ENOENT: the last
/// batch (*count may still be > 0); ENOSPC: a bucket holds more than *count.
static inline int ctaudit_bpf_map_lookup_batch(int fd, const void *in_batch, void *out_batch,
                                               void *keys, void *values, uint32_t *count) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.batch.map_fd = (uint32_t)fd;
    attr.batch.in_batch = (uint64_t)(uintptr_t)in_batch;
    attr.batch.out_batch = (uint64_t)(uintptr_t)out_batch;
    attr.batch.keys = (uint64_t)(uintptr_t)keys;
    attr.batch.values = (uint64_t)(uintptr_t)values;
    attr.batch.count = *count;
    int rc = (int)syscall(__NR_bpf, BPF_MAP_LOOKUP_BATCH, &attr, sizeof(attr));
    *count = attr.batch.count;
    return rc;
}

static inline uint32_t ctaudit_bpf_map_type_hash(void) { return BPF_MAP_TYPE_HASH; }
static inline uint32_t ctaudit_bpf_map_type_lru_hash(void) { return BPF_MAP_TYPE_LRU_HASH; }

#endif
