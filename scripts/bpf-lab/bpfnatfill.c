// bpfnatfill: TEST SUPPORT THAT WRITES. Creates BPF maps shaped like Cilium's
// and Calico's NAT tables, pins them under a bpffs, and fills them from a
// line-oriented spec on stdin. Only for tests and labs, inside a private
// mount namespace with its own bpffs:
//
//   unshare -m sh -c 'mount -t bpf bpf DIR && bpfnatfill DIR < spec && ctaudit audit --bpffs DIR'
//
// The structs below are the upstream definitions (cilium/cilium
// bpf/lib/common.h + bpf/lib/nat.h; projectcalico/calico felix/bpf-gpl
// conntrack_types.h as described in felix/bpf/conntrack/v4 and v5), so the
// maps get exactly the key and value sizes the real dataplanes create; the
// static asserts pin those sizes.
//
// Spec lines (addresses in text form; ports in decimal; '#' comments):
//   cilium-map v4|v6 [MAX_ENTRIES]        create tc/globals/cilium_snat_v{4,6}_external (default 1024)
//   cilium-fill COUNT PERCENT_LOW         COUNT IPv4 egress + reverse pairs (benchmarks): pods
//                                         10.x.y.z to 203.0.0.0/8:443, PERCENT_LOW of them
//                                         translated below 32768, the rest into 32768-65535
//   cilium-snat PROTO SRC SPORT DST DPORT TO_SRC TO_SPORT
//                                         egress + reverse entry (snat_v4_new_mapping)
//   cilium-egress-only PROTO SRC SPORT DST DPORT TO_SRC TO_SPORT
//                                         egress entry without reverse (DSR-like)
//   calico-map v4|v6 VERSION              create tc/globals/cali_v{4,6}_ct<VERSION> (4 or 5)
//   calico-psnat PROTO HOST ORIG_SPORT NEW_SPORT VIP VPORT BACKEND BPORT
//                                         NAT_FWD + NAT_REV entries flagged HOST_PSNAT
//   calico-normal PROTO A APORT B BPORT   a NORMAL entry (not NAT)
//   raw-map NAME KEY_SIZE VALUE_SIZE      a hash map of any shape with one zero entry
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

// ---- cilium/cilium bpf/lib/common.h ----
union v6addr {
    struct { __u32 p1, p2, p3, p4; };
    struct { __u64 d1, d2; };
    __u8 addr[16];
} __attribute__((packed));

struct ipv4_ct_tuple {
    __be32 daddr;
    __be32 saddr;
    __be16 dport;
    __be16 sport;
    __u8 nexthdr;
    __u8 flags;
} __attribute__((packed));

struct ipv6_ct_tuple {
    union v6addr daddr;
    union v6addr saddr;
    __be16 dport;
    __be16 sport;
    __u8 nexthdr;
    __u8 flags;
} __attribute__((packed));

#define TUPLE_F_OUT 0
#define TUPLE_F_IN 1

// ---- cilium/cilium bpf/lib/nat.h ----
struct nat_entry {
    __u64 created;
    __u64 needs_ct;
    __u64 pad1;
    __u64 pad2;
};

struct ipv4_nat_entry {
    struct nat_entry common;
    union {
        struct { __be32 to_saddr; __be16 to_sport; };
        struct { __be32 to_daddr; __be16 to_dport; };
    };
};

struct ipv6_nat_entry {
    struct nat_entry common;
    union {
        struct { union v6addr to_saddr; __be16 to_sport; };
        struct { union v6addr to_daddr; __be16 to_dport; };
    };
};

_Static_assert(sizeof(struct ipv4_ct_tuple) == 14, "ipv4_ct_tuple");
_Static_assert(sizeof(struct ipv6_ct_tuple) == 38, "ipv6_ct_tuple");
_Static_assert(sizeof(struct ipv4_nat_entry) == 40, "ipv4_nat_entry");
_Static_assert(sizeof(struct ipv6_nat_entry) == 56, "ipv6_nat_entry");

// ---- projectcalico/calico conntrack key/value (felix/bpf/conntrack/v4, v5) ----
struct calico_ct_key4 { __u32 protocol; __be32 addr_a, addr_b; __u16 port_a, port_b; };
struct calico_ct_key6 { __u32 protocol; __u8 addr_a[16], addr_b[16]; __u16 port_a, port_b; };

struct calico_ct_leg {
    __u64 bytes;
    __u32 packets;
    __u32 seqno;
    __u32 syn_seen:1, ack_seen:1, fin_seen:1, rst_seen:1, approved:1, opener:1, workload:1, unused:25;
    __u32 ifindex;
};

// Version 5: __u8 type; __u8 pad0[3]; __u32 flags.  Version 4: __u8 type;
// __u8 flags; __u8 pad0[5]; __u8 flags2 (flags | flags2 << 8). Same size.
struct calico_ct_value4 {
    __u64 rst_seen, last_seen;
    __u8 type;
    __u8 head[7];
    union {
        struct {
            struct calico_ct_leg a_to_b, b_to_a;
            __be32 tun_ip, orig_ip;
            __u16 orig_port, orig_sport;
            __be32 orig_sip;
        };
        struct { struct calico_ct_key4 nat_rev_key; __u16 nat_sport; __u8 pad2[46]; };
    };
};
struct calico_ct_value6 {
    __u64 rst_seen, last_seen;
    __u8 type;
    __u8 head[7];
    union {
        struct {
            struct calico_ct_leg a_to_b, b_to_a;
            __u8 tun_ip[16], orig_ip[16];
            __u16 orig_port, orig_sport;
            __u8 orig_sip[16];
            __u8 pad3[4];
        };
        struct { struct calico_ct_key6 nat_rev_key; __u16 nat_sport; __u8 pad2[60]; };
    };
};
_Static_assert(sizeof(struct calico_ct_key4) == 16, "calico key v4");
_Static_assert(sizeof(struct calico_ct_key6) == 40, "calico key v6");
_Static_assert(sizeof(struct calico_ct_leg) == 24, "calico leg");
_Static_assert(sizeof(struct calico_ct_value4) == 88, "calico value v4");
_Static_assert(sizeof(struct calico_ct_value6) == 128, "calico value v6");

#define CALI_CT_TYPE_NORMAL 0
#define CALI_CT_TYPE_NAT_FWD 1
#define CALI_CT_TYPE_NAT_REV 2
#define CALI_CT_FLAG_HOST_PSNAT (1u << 9)

static const char *root;

static long sys_bpf(int cmd, union bpf_attr *attr) { return syscall(__NR_bpf, cmd, attr, sizeof(*attr)); }

static void die(const char *what, int line) {
    fprintf(stderr, "bpfnatfill: line %d: %s: %s\n", line, what, strerror(errno));
    exit(1);
}

static uint32_t max_entries_next = 1024;

static int create_pinned(const char *name, uint32_t key, uint32_t value, int line) {
    char path[4096];
    snprintf(path, sizeof(path), "%s/tc", root);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/tc/globals", root);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/tc/globals/%s", root, name);
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.map_type = BPF_MAP_TYPE_LRU_HASH;
    attr.key_size = key;
    attr.value_size = value;
    attr.max_entries = max_entries_next;
    max_entries_next = 1024;
    int fd = (int)sys_bpf(BPF_MAP_CREATE, &attr);
    if (fd < 0) die("BPF_MAP_CREATE", line);
    memset(&attr, 0, sizeof(attr));
    attr.pathname = (uint64_t)(uintptr_t)path;
    attr.bpf_fd = (uint32_t)fd;
    if (sys_bpf(BPF_OBJ_PIN, &attr) != 0) die(path, line);
    return fd;
}

static void put(int fd, const void *key, const void *value, int line) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.map_fd = (uint32_t)fd;
    attr.key = (uint64_t)(uintptr_t)key;
    attr.value = (uint64_t)(uintptr_t)value;
    attr.flags = BPF_ANY;
    if (sys_bpf(BPF_MAP_UPDATE_ELEM, &attr) != 0) die("BPF_MAP_UPDATE_ELEM", line);
}

static int proto_number(const char *name) {
    if (!strcmp(name, "tcp")) return 6;
    if (!strcmp(name, "udp")) return 17;
    if (!strcmp(name, "icmp")) return 1;
    if (!strcmp(name, "icmpv6")) return 58;
    return atoi(name);
}

static int family_of(const char *text) { return strchr(text, ':') ? AF_INET6 : AF_INET; }

static void address(const char *text, void *out, int line) {
    if (inet_pton(family_of(text), text, out) != 1) { errno = EINVAL; die(text, line); }
}

// snat_v{4,6}_new_mapping: the egress entry OUT -> OSTATE and, when BOTH,
// the reverse entry (snat_v4_swap_tuple, then the translated address and
// port) that answers replies. A macro because the IPv4 and IPv6 structs
// differ only in the width of their address fields.
#define CILIUM_PUT_MAPPING(TUPLE, ENTRY, fd, out, ostate, both) do { \
        TUPLE rev_ = {0}; \
        ENTRY rstate_ = {0}; \
        rev_.nexthdr = (out).nexthdr; rev_.saddr = (out).daddr; rev_.sport = (out).dport; \
        rev_.daddr = (ostate).to_saddr; rev_.dport = (ostate).to_sport; rev_.flags = TUPLE_F_IN; \
        rstate_.to_daddr = (out).saddr; rstate_.to_dport = (out).sport; \
        if (both) put((fd), &rev_, &rstate_, line); \
        put((fd), &(out), &(ostate), line); \
    } while (0)

// cilium-snat / cilium-egress-only words: PROTO SRC SPORT DST DPORT TO_SRC TO_SPORT.
#define CILIUM_SNAT(TUPLE, ENTRY, fd, word, both) do { \
        TUPLE out_ = {0}; \
        ENTRY ostate_ = {0}; \
        address((word)[2], &out_.saddr, line); \
        address((word)[4], &out_.daddr, line); \
        address((word)[6], &ostate_.to_saddr, line); \
        out_.nexthdr = (__u8)proto_number((word)[1]); out_.flags = TUPLE_F_OUT; \
        out_.sport = htons((__u16)atoi((word)[3])); out_.dport = htons((__u16)atoi((word)[5])); \
        ostate_.to_sport = htons((__u16)atoi((word)[7])); \
        ostate_.common.created = 1; \
        CILIUM_PUT_MAPPING(TUPLE, ENTRY, fd, out_, ostate_, both); \
    } while (0)

// A Calico conntrack key for the connection X:XPORT <-> Y:YPORT. Calico
// orders a key by address: the lower address is A.
#define CALICO_KEY(key, proto_, x, xport, y, yport, alen) do { \
        int x_is_a_ = memcmp((x), (y), (alen)) < 0; \
        (key).protocol = (proto_); \
        memcpy(&(key).addr_a, x_is_a_ ? (x) : (y), (alen)); \
        memcpy(&(key).addr_b, x_is_a_ ? (y) : (x), (alen)); \
        (key).port_a = x_is_a_ ? (xport) : (yport); \
        (key).port_b = x_is_a_ ? (yport) : (xport); \
    } while (0)

// Calico keeps the flags in the value's head: version 5 as a __u32 after
// three pad bytes, version 4 as a low byte and a high byte (flags2).
#define CALICO_HEAD(v, type_, flags, version) do { \
        (v).type = (type_); \
        if ((version) == 4) { (v).head[0] = (__u8)((flags) & 0xff); (v).head[6] = (__u8)((flags) >> 8); } \
        else memcpy(&(v).head[3], &(flags), 4); \
    } while (0)

// calico-psnat / calico-normal for one family: the NAT_REV (or NORMAL) entry
// keyed host:new_sport <-> backend:bport and, for psnat, the NAT_FWD entry
// keyed by the original tuple (host:orig_sport -> vip:vport) pointing at it.
#define CALICO_ENTRIES(KEY, VALUE, fd, alen) do { \
        KEY rev_ = {0}; \
        VALUE value_; \
        memset(&value_, 0, sizeof(value_)); \
        CALICO_KEY(rev_, proto, host_bytes, new_sport, backend_bytes, bport, (alen)); \
        CALICO_HEAD(value_, psnat ? CALI_CT_TYPE_NAT_REV : CALI_CT_TYPE_NORMAL, flags, calico_version); \
        int host_is_a_ = memcmp(host_bytes, backend_bytes, (alen)) < 0; \
        value_.a_to_b = host_is_a_ ? opener : answer; \
        value_.b_to_a = host_is_a_ ? answer : opener; \
        if (psnat) { \
            memcpy(&value_.orig_ip, vip_bytes, (alen)); \
            value_.orig_port = vport; \
            value_.orig_sport = orig_sport; \
        } \
        put((fd), &rev_, &value_, line); \
        if (psnat) { \
            KEY fwd_ = {0}; \
            VALUE fvalue_; \
            memset(&fvalue_, 0, sizeof(fvalue_)); \
            CALICO_KEY(fwd_, proto, host_bytes, orig_sport, vip_bytes, vport, (alen)); \
            CALICO_HEAD(fvalue_, CALI_CT_TYPE_NAT_FWD, flags, calico_version); \
            fvalue_.nat_rev_key = rev_; \
            fvalue_.nat_sport = new_sport; \
            put((fd), &fwd_, &fvalue_, line); \
        } \
    } while (0)

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: bpfnatfill BPFFS_DIR < spec\n");
        return 2;
    }
    root = argv[1];
    int cilium4 = -1, cilium6 = -1, calico4 = -1, calico6 = -1, calico_version = 5;
    char buf[1024];
    int line = 0;
    while (fgets(buf, sizeof(buf), stdin)) {
        line++;
        char word[9][64];
        memset(word, 0, sizeof(word));
        int n = sscanf(buf, "%63s %63s %63s %63s %63s %63s %63s %63s %63s", word[0], word[1], word[2],
                       word[3], word[4], word[5], word[6], word[7], word[8]);
        if (n <= 0 || word[0][0] == '#') continue;
        if (!strcmp(word[0], "cilium-map")) {
            if (n >= 3) max_entries_next = (uint32_t)strtoul(word[2], NULL, 10);
            if (!strcmp(word[1], "v4"))
                cilium4 = create_pinned("cilium_snat_v4_external", sizeof(struct ipv4_ct_tuple), sizeof(struct ipv4_nat_entry), line);
            else
                cilium6 = create_pinned("cilium_snat_v6_external", sizeof(struct ipv6_ct_tuple), sizeof(struct ipv6_nat_entry), line);
        } else if (!strcmp(word[0], "cilium-snat") || !strcmp(word[0], "cilium-egress-only")) {
            int both = !strcmp(word[0], "cilium-snat");
            if (family_of(word[2]) == AF_INET)
                CILIUM_SNAT(struct ipv4_ct_tuple, struct ipv4_nat_entry, cilium4, word, both);
            else
                CILIUM_SNAT(struct ipv6_ct_tuple, struct ipv6_nat_entry, cilium6, word, both);
        } else if (!strcmp(word[0], "cilium-fill")) {
            long count = atol(word[1]), low = atol(word[2]);
            for (long i = 0; i < count; i++) {
                struct ipv4_ct_tuple out = {0};
                struct ipv4_nat_entry ostate = {0};
                out.saddr = htonl(0x0a000000u | (uint32_t)(i / 50000) << 8 | (uint32_t)(i % 200 + 1));
                // A server address per connection: reverse keys never collide,
                // as Cilium's own allocation guarantees.
                out.daddr = htonl(0xcb000000u | ((uint32_t)i & 0xffffffu));
                out.sport = htons((__u16)(32768 + i % 28000));
                out.dport = htons(443);
                out.nexthdr = 6;
                ostate.to_saddr = htonl(0xc000020au);
                __u16 port = (i % 100) < low ? (__u16)(1024 + i % 31000) : (__u16)(32768 + (i * 7) % 32768);
                ostate.to_sport = htons(port);
                CILIUM_PUT_MAPPING(struct ipv4_ct_tuple, struct ipv4_nat_entry, cilium4, out, ostate, 1);
            }
        } else if (!strcmp(word[0], "calico-map")) {
            char name[96];
            calico_version = atoi(word[2]);
            snprintf(name, sizeof(name), "cali_%s_ct%d", word[1], calico_version);
            if (!strcmp(word[1], "v4"))
                calico4 = create_pinned(name, sizeof(struct calico_ct_key4), sizeof(struct calico_ct_value4), line);
            else
                calico6 = create_pinned(name, sizeof(struct calico_ct_key6), sizeof(struct calico_ct_value6), line);
        } else if (!strcmp(word[0], "calico-psnat") || !strcmp(word[0], "calico-normal")) {
            int psnat = !strcmp(word[0], "calico-psnat");
            __u32 proto = (__u32)proto_number(word[1]);
            // psnat: host ORIG_SPORT NEW_SPORT VIP VPORT BACKEND BPORT; normal: A APORT B BPORT
            const char *host = word[2];
            __u16 orig_sport = (__u16)atoi(word[3]);
            __u16 new_sport = psnat ? (__u16)atoi(word[4]) : orig_sport;
            const char *vip = psnat ? word[5] : word[4];
            __u16 vport = (__u16)atoi(psnat ? word[6] : word[5]);
            const char *backend = psnat ? word[7] : vip;
            __u16 bport = psnat ? (__u16)atoi(word[8]) : vport;
            uint32_t flags = psnat ? CALI_CT_FLAG_HOST_PSNAT : 0;
            __u8 host_bytes[16] = {0}, backend_bytes[16] = {0}, vip_bytes[16] = {0};
            address(host, host_bytes, line);
            address(backend, backend_bytes, line);
            address(vip, vip_bytes, line);
            struct calico_ct_leg opener = {0}, answer = {0};
            opener.packets = 3; opener.opener = 1; opener.syn_seen = 1; opener.ack_seen = 1;
            answer.packets = 2; answer.syn_seen = 1; answer.ack_seen = 1;
            if (family_of(host) == AF_INET)
                CALICO_ENTRIES(struct calico_ct_key4, struct calico_ct_value4, calico4, 4);
            else
                CALICO_ENTRIES(struct calico_ct_key6, struct calico_ct_value6, calico6, 16);
        } else if (!strcmp(word[0], "raw-map")) {
            uint32_t key_size = (uint32_t)atoi(word[2]), value_size = (uint32_t)atoi(word[3]);
            int fd = create_pinned(word[1], key_size, value_size, line);
            static __u8 zeros[4096];
            put(fd, zeros, zeros, line);
        } else {
            fprintf(stderr, "bpfnatfill: line %d: unknown directive %s\n", line, word[0]);
            return 2;
        }
    }
    return 0;
}
