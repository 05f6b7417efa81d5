// The header half of ctaudit's C boundary: the kernel and library headers
// whose constants and types the Conntrack target uses, plus static inline
// helpers only where Swift cannot import a value directly. Everything that
// calls into libc, libmnl or the kernel is compiled in Sources/CConntrackShim
// (shim.c, with _GNU_SOURCE and layout assertions). Only Conntrack imports this.
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
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/bpf.h>

// CLONE_NEWNET comes from a header Swift sees only through this module, and
// the BPF map types are enum constants; these give them as plain integers.
static inline int ctaudit_clone_newnet(void) { return CLONE_NEWNET; }

static inline uint32_t ctaudit_bpf_map_type_hash(void) { return BPF_MAP_TYPE_HASH; }
static inline uint32_t ctaudit_bpf_map_type_lru_hash(void) { return BPF_MAP_TYPE_LRU_HASH; }

#endif
