/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz.h - what the files of the fuzz program share: its types and the
 * functions and state each file offers the others.  The program's options
 * and what it aims at are described at the top of fuzz-main.c.
 *
 *   fuzz-main.c    the flood's configuration and state, its driver
 *                  (flood_main()) and the command dispatch (main())
 *   fuzz-gen.c     the generator: random streams and every kind of segment
 *   fuzz-oracle.c  the oracle: what the protected connections must survive,
 *                  the dut's counters, the sockets left stuck
 *   fuzz-wire.c    wire I/O: checksums, namespaces, packet sockets, pcap,
 *                  batches sent and frames received
 *   fuzz-apps.c    the applications: sink and hold (the dut side's
 *                  programs), sysctl, cat and wait-empty
 */
#ifndef ATCP_SELFTEST_FUZZ_H
#define ATCP_SELFTEST_FUZZ_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "prng.h"
#include "util.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10
#define F_URG 0x20
#define F_ECE 0x40
#define F_CWR 0x80
#define F_NS 0x100

#define ETHLEN 14
#define MAXFRAME 1600
#define MAXBATCH 64

#define NREC 60000
#define HBITS 17
#define NSLOT 8
#define NSTAT 256

/* Store the right checksum (or a wrong or zero one) in a segment. */
enum { CS_GOOD, CS_BAD, CS_ZERO };

struct rng {
	uint64_t s;
};

struct seg {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t flags;
	uint8_t res;
	int doff;		/* -1: from the options */
	uint16_t win, urg;
	uint8_t opt[40];
	int optlen;
	uint8_t pay[1460];
	int plen;
	int cs;			/* CS_* */
	int kind;
};

/* A frame under construction. */
struct pkt {
	uint8_t fr[MAXFRAME];
	int len;		/* frame length */
	int l4off, l4len;
	uint32_t src, dst;
	int proto;		/* of the IP header: cfg.proto, or 1 (ICMP) */
	int ipbad;		/* certainly dropped by IP */
};

struct parsed {
	uint32_t src, dst;
	const uint8_t *l4;
	int l4len, dlen;
};

struct pconn {
	uint32_t pip, dip;	/* the peer (the real socket's end) and the dut */
	uint16_t pport, dport;
	int seen_p, seen_d;	/* segments seen from each side */
	int ws_p, ws_d;		/* window scale from the SYNs */
	int ts_p, ts_d, ts;	/* timestamps in each SYN, and so in use */
	uint32_t p_end, p_ack;	/* the peer's highest SEQ+LEN, highest ACK */
	int p_ack_ok;
	uint32_t d_end, d_ack;	/* the same for the dut; d_ack is its RCV.NXT */
	uint32_t p_win, d_win;	/* advertised windows, scaled */
	uint32_t p_tsval;
	int bad;
	char why[200];
	int fixed_now;
	long aimed, fixed, inwin, rst_inwin, syn, badack, old, invalid, d_segs;
	long icmp, icmp_inwin;
	char ring[16][160];
	int ringpos;
};

/* The flood's view of a tuple it sent from: its own connections, and the
 * request socks its SYNs to the listeners made. */
enum { R_REQ = 1, R_SYN_SENT, R_EST, R_DEAD };

struct rec {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t state;
	uint8_t synack;		/* the dut's SYN-ACK seen */
	uint8_t ts, ws;		/* options the dut's SYN-ACK had */
	uint8_t dut_ack_ok;
	uint8_t dut_reset;	/* the dut sent a RST: nothing left there */
	uint8_t cleaned;
	uint32_t isn, snd_nxt;	/* ours */
	uint32_t dut_isn, rcv_nxt;
	uint32_t dut_ack, dut_tsval, rst_seq;
	int budget, waited;
};

/* What an ICMP error aims at; the kinds of segment. */
enum { A_OWN, A_REQ, A_PROT, A_LISTEN, A_RANDOM };
enum { K_GARBAGE, K_RANDOM, K_LISTEN, K_CONN, K_PROT, K_ICMP };

/* The dut's counters: "Name value" lines of /proc/net/atcp_stat, or for
 * Linux's TCP the Tcp and TcpExt lines of /proc/net/snmp and netstat. */
struct stats {
	int n;
	char name[NSTAT][32];
	long long val[NSTAT];
};

struct flood_cfg {
	uint64_t seed;
	long count;
	int proto;
	int batch;
	int verbose;
	int unsafe;
	uint8_t dut_mac[6], my_mac[6];
	uint32_t dut_ip;
	uint16_t lports[8];
	int nlports;
	struct pconn prot[4];
	int nprot;
	uint32_t spoof_net, spoof_mask;
	const char *ready, *pcap;
	char *fuzz_ns, *fuzz_if, *sniff_ns, *sniff_if, *dut_ns, *dut_if;
};

struct flood_counts {
	long sent, replies, cleanup;
	long kind[6];
	long mutated, badcsum, short_hdr, baddoff, ipbad, to_dut;
	long opened, established, dut_rsts, reqs, synacks, children;
	long rx, rx_dut, dut_badcsum, dut_badsrc, dut_badhdr, rx_other;
	long enobufs;
	long icmp_aim[5], icmp_frag, icmp_cut, icmp_badihl, icmp_other, icmp_badcsum;
};

/* fuzz-main.c: the flood's configuration and state, its driver */
extern struct flood_cfg cfg;
extern struct flood_counts st;
extern struct rec recs[NREC];
extern int nrec;
extern int slot[NSLOT];
extern int reqring[256];
extern int nreq;
extern int csum_check;
extern int flooding;
struct rec *rec_find(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport);
struct rec *rec_new(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport);
int is_prot_tuple(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport);

/* fuzz-wire.c: bytes, checksums, addresses, namespaces, packet sockets,
 * the pcap, sending and receiving frames */
extern int txfd, rxfd, snfd;
extern FILE *pcap;
extern struct pkt batch[MAXBATCH];
extern int nbatch;
extern struct pkt replies[256];
double now_s(void);
void write_ready(const char *path, const char *line);
void put16(uint8_t *p, uint16_t v);
void put32(uint8_t *p, uint32_t v);
uint16_t get16(const uint8_t *p);
uint32_t get32(const uint8_t *p);
int32_t sdiff(uint32_t a, uint32_t b);
int tcp_option(const uint8_t *l4, int hl, int len, int *i, int *olen);
uint32_t sum16(const uint8_t *p, int n, uint32_t s);
uint16_t fold(uint32_t s);
void l4_csum(uint8_t *l4, int len, uint32_t src, uint32_t dst, int proto, int mode);
int l4_csum_ok(const uint8_t *l4, int len, uint32_t src, uint32_t dst, int proto);
const char *ipstr(uint32_t a, char *buf);
uint32_t parse_ip(const char *s);
void parse_ep(const char *s, uint32_t *ip, uint16_t *port);
void parse_mac(const char *s, uint8_t *mac);
const char *flagstr(unsigned int fl, char *buf);
void enter_ns(const char *name);
void leave_ns(void);
FILE *open_socket_table(const char *ns, const char *file);
void split_nsif(const char *arg, char **ns, char **ifn);
int packet_socket(const char *ns, const char *ifn, int ignore_out, uint8_t *mac);
int offloads_off(const char *ns, const char *ifn);
void pcap_open(const char *path);
void flush_batch(void);
struct pkt *batch_slot(void);
void flush_replies(void);
void drain_all(void);
void drain_for(double secs);

/* fuzz-gen.c: the random streams, and the generators of segments */
extern const char sink_cmds[];
uint32_t rnd(struct rng *r, uint32_t n);
int chance(struct rng *r, int pct);
uint32_t p_ack(struct rng *r, const struct pconn *p);
void gen_one(long i, struct pkt *k);
void make_reply(struct pkt *k, const struct rec *f, uint32_t seq, uint32_t ack,
		int flags);

/* fuzz-oracle.c: what the protected connections must survive, the
 * dut's counters, stuck sockets */
void p_filter(struct rng *r, struct pkt *k);
void p_seen(struct pconn *p, int from_dut, const uint8_t *l4, int l4len, int dlen);
int read_stats(struct stats *sv);
void print_stats(const struct stats *a, const struct stats *b);
int scan_stuck(const char *ns, int proto, double secs, const char *prefix);
void p_report(struct pconn *p);

/* fuzz-apps.c: the programs the dut side runs (sink, hold) and the
 * helpers (sysctl, cat, wait-empty) */
int sink_main(int argc, char **argv);
int hold_main(int argc, char **argv);
int sysctl_main(int argc, char **argv);
int cat_main(int argc, char **argv);
int wait_empty_main(int argc, char **argv);

#endif /* ATCP_SELFTEST_FUZZ_H */
