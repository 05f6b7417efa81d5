// libpcap, for reading capture files (`ctaudit who --pcap`). Only the
// Conntrack target imports this module (Sources/Conntrack/Capture): it opens
// files offline and never opens a live interface.
//
// <pcap/pcap.h> cannot be imported beside CConntrack: its struct bpf_insn
// (classic BPF) and <linux/bpf.h>'s (eBPF, for the dataplanes' maps) are two
// different structs of one name. So the few libpcap calls ctaudit makes are
// declared here, with libpcap's own layouts (pcap/pcap.h, libpcap 1.x ABI).
#ifndef CTAUDIT_PCAP_SHIM_H
#define CTAUDIT_PCAP_SHIM_H

#include <stdint.h>
#include <sys/time.h>

struct pcap;

struct pcap_pkthdr {
    struct timeval ts;
    uint32_t caplen;
    uint32_t len;
};

enum {
    CTAUDIT_PCAP_ERRBUF_SIZE = 256,
    CTAUDIT_PCAP_ERROR_BREAK = -2,
};

struct pcap *pcap_open_offline(const char *fname, char *errbuf);
int pcap_datalink(struct pcap *p);
const char *pcap_datalink_val_to_name(int dlt);
int pcap_next_ex(struct pcap *p, struct pcap_pkthdr **header, const unsigned char **data);
char *pcap_geterr(struct pcap *p);
void pcap_close(struct pcap *p);

#endif
