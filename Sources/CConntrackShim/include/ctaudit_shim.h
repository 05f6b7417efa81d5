// The compiled half of ctaudit's C boundary (shim.c): helpers that build
// netlink requests, bind and batch-receive on netlink sockets, enter a
// network namespace, and issue the read-only bpf(2) commands. They exist
// because Swift cannot call what they wrap directly: GNU-only declarations
// (setns, recvmmsg), libmnl's in-buffer builders, variadic syscall(2) and
// `union bpf_attr`'s anonymous structs.
//
// This header uses only fixed-width types, so the Swift module that imports
// it sees the same libc types as every other module; _GNU_SOURCE and the
// kernel headers stay inside shim.c. Only the Conntrack target imports it.
// All functions returning int return -1 with errno set on failure.
#ifndef CTAUDIT_SHIM_PUBLIC_H
#define CTAUDIT_SHIM_PUBLIC_H

#include <stddef.h>
#include <stdint.h>

/// setns(2): moves the calling thread into the namespace `fd` refers to.
int ctaudit_setns(int fd, int nstype);

/// Makes the capabilities a non-root ctaudit was started with usable by it
/// and by the listing commands it runs. A non-root process gets capabilities
/// only from the file it was started from (the container image sets
/// permitted-only file capabilities on ctaudit; container runtimes give a
/// non-root process no others): they arrive in the permitted set alone.
/// This copies permitted into effective and inheritable (capset(2), on the
/// calling thread: call it before any other thread exists) and raises each
/// as ambient (prctl PR_CAP_AMBIENT_RAISE), so that nft, iptables-save and
/// nsenter, which have no file capabilities, inherit them across execve.
/// Stores the permitted set (bit n = capability n) in `permitted`.
int ctaudit_adopt_permitted_capabilities(uint64_t *permitted);

/// The calling thread's effective and ambient capability sets (bit n =
/// capability n), from capget(2) and PR_CAP_AMBIENT_IS_SET.
int ctaudit_capabilities(uint64_t *effective, uint64_t *ambient);

/// Builds a ctnetlink dump request (IPCTNL_MSG_CT_GET, NLM_F_DUMP) for all
/// families into `buf`. When `status_filter_mask` is non-zero the kernel is asked
/// (CTA_STATUS + CTA_STATUS_MASK, Linux 5.15+) to return only entries whose
/// status has all of those bits, which skips everything else inside the kernel.
/// Returns the message length, or 0 if the buffer is too small or the library
/// could not encode the filter.
uint32_t ctaudit_build_dump_request(void *buf, size_t size, uint32_t seq, uint32_t status_filter_mask);

/// Builds an IPCTNL_MSG_CT_GET_STATS request: the table's entry count and
/// its maximum, for the namespace the socket was opened in.
uint32_t ctaudit_build_stats_request(void *buf, size_t size, uint32_t seq);

/// Builds an IPCTNL_MSG_CT_GET_STATS_CPU dump request: one reply message per
/// possible CPU (nfgenmsg.res_id = CPU number) with the namespace's counters.
uint32_t ctaudit_build_stats_cpu_request(void *buf, size_t size, uint32_t seq);

/// Builds a sock_diag dump request (SOCK_DIAG_BY_FAMILY with struct
/// inet_diag_req_v2, NLM_F_DUMP) for the sockets of one family (AF_INET or
/// AF_INET6) and protocol (IPPROTO_TCP, IPPROTO_UDP) whose state is in the
/// bit mask `states` (bit n = TCP state n: 1 << 10 is LISTEN, 1 << 7 CLOSE,
/// which is how an unconnected bound UDP socket reads). Read-only: the
/// kernel only lists sockets. Returns the message length, 0 if `size` is too small.
uint32_t ctaudit_build_inet_diag_request(void *buf, size_t size, uint32_t seq, uint8_t family,
                                         uint8_t protocol, uint32_t states);

/// Binds a netlink socket to an automatic port id with no legacy group mask
/// (groups are joined one by one with NETLINK_ADD_MEMBERSHIP).
int ctaudit_netlink_bind(int fd);

/// Receives up to `slots` (at most 64) datagrams with one recvmmsg(2) call,
/// without blocking: datagram i is copied to buf + i * slot_size and its
/// length stored in lengths[i]; truncated[i] is set when it did not fit.
/// Returns the number of datagrams, or -1 with errno (EAGAIN, ENOBUFS, ...).
int ctaudit_recv_batch(int fd, void *buf, size_t slot_size, unsigned int slots,
                       uint32_t *lengths, uint8_t *truncated);

// ---- bpf(2), read-only: the BPF dataplanes' pinned maps (Cilium, Calico). ----

/// BPF_OBJ_GET with BPF_F_RDONLY: a read-only descriptor of the map pinned at `path`.
int ctaudit_bpf_obj_get_readonly(const char *path);

/// What BPF_OBJ_GET_INFO_BY_FD says about a map, in the fields ctaudit checks.
struct ctaudit_bpf_map_facts {
    uint32_t type;
    uint32_t key_size;
    uint32_t value_size;
    uint32_t max_entries;
    uint32_t id;
    char name[16];
};

/// BPF_OBJ_GET_INFO_BY_FD on a map descriptor.
int ctaudit_bpf_map_facts(int fd, struct ctaudit_bpf_map_facts *facts);

/// BPF_MAP_GET_NEXT_KEY: `key` NULL for the first key. ENOENT after the last.
int ctaudit_bpf_map_next_key(int fd, const void *key, void *next_key);

/// BPF_MAP_LOOKUP_ELEM: ENOENT when the entry went away meanwhile.
int ctaudit_bpf_map_lookup(int fd, const void *key, void *value);

/// BPF_MAP_LOOKUP_BATCH (Linux 5.6+): up to *count entries into `keys` and
/// `values`; `in_batch` NULL for the first call, then the previous `out_batch`
/// (a hash map's token is a u32 bucket index; give 8 bytes). ENOENT: the last
/// batch (*count may still be > 0); ENOSPC: a bucket holds more than *count.
int ctaudit_bpf_map_lookup_batch(int fd, const void *in_batch, void *out_batch,
                                 void *keys, void *values, uint32_t *count);

#endif
