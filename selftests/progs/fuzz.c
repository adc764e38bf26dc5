// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz - a seeded segment fuzzer for atcp, and the small applications its
 * test (test_fuzz.sh) runs in the namespaces.
 *
 *   fuzz [-N NETNS] flood [options]      send COUNT random and mutated segments
 *   fuzz [-N NETNS] sink -p PORT[,PORT]  accept and serve the flood's connections
 *   fuzz [-N NETNS] hold server|client   one protected connection
 *   fuzz [-N NETNS] sysctl [-q] KEY=VALUE...   write sysctls (-q: skip missing)
 *   fuzz [-N NETNS] cat FILE...          print files (/proc/net/... of NETNS)
 *   fuzz wait-empty [-P PROTO] [-t SECS] NETNS...   wait until no socket of
 *                                        PROTO is left in these namespaces
 *                                        (default 30 s; exit 1 at once if
 *                                        only stuck ones are left, see below)
 *
 * -N NETNS runs it in that named namespace (ip netns): under QEMU TCG every
 * process costs, and `ip netns exec` is two.
 *
 * The flood
 * ---------
 * It sends Ethernet frames through a packet socket on a veth end that has
 * no IP address (-f NETNS:IF), so that its own namespace's kernel never
 * answers anything, exactly like selftests/peer.  The device under test (dut)
 * holds the other end (-o NETNS:IF, whose checksum and segmentation offloads
 * the flood turns off so that it can check every segment the dut sends), and
 * routes the spoofed sources (-S, default 10.253.128.0/17) back through it.
 *
 * Every segment i of a run is drawn from its own random stream, seeded from
 * (-s SEED, i): the same seed makes the same choices in the same order.
 * Sequence numbers the flood aims at are relative to what it has seen (the
 * kernel picks the ISNs, and timing decides what arrived when), so a rerun
 * with the same seed is the same flood, not the same bytes.  Six kinds:
 *
 *   garbage    random bytes as the segment, 0 to 1400 of them, sometimes
 *              with the ports of a live socket and a correct checksum
 *   random     a header with random flags (all 9 and the reserved bits),
 *              numbers, data offset, options (well-formed or not), payload,
 *              ports and addresses; checksum right, wrong or zero
 *   listen     at the listeners (-l PORT): SYNs with every option mix, then
 *              third segments, right and mutated, at the request socks the
 *              SYN-ACKs revealed; non-SYN segments from unknown tuples
 *   conn       the flood's own connections to the first listener: it opens
 *              them (it sees the SYN-ACK), knows their numbers exactly and
 *              sends anything: in-order data (whose first byte may be a
 *              command for `fuzz sink`: close, shutdown, write, abort,
 *              keepalive, stop reading), out-of-order and overlapping data,
 *              exact RSTs, FINs, zero windows, SACK blocks, then mutations
 *   protected  at the connections named with -p, whose other end is a real
 *              socket; see below
 *   icmp       ICMP messages about segments the dut sent or might have: every
 *              type 0-255, most often those IP hands to the protocol
 *              (destination unreachable 3, source quench 4, redirect 5, time
 *              exceeded 11, parameter problem 12), every code 0-255, most
 *              often 0-15, fragmentation needed with next-hop MTUs from 0
 *              to 65535; quoting the flood's own connections (in every
 *              state: SYN-ACK'd, established, reset, TIME_WAIT), its
 *              request socks (their SYN-ACK's ISN exactly, or not), the
 *              protected connections, the listeners, random tuples; with
 *              the quoted seq at SND.UNA, SND.NXT, in between, just and far
 *              outside, or random; the quote well-formed (8 bytes of the
 *              segment, or more), cut short (under 8 bytes of it, the IP
 *              header only, part of the IP header), with a bad inner header
 *              length, inner IP options, another protocol's number; from a
 *              router, the quoted host itself or anyone; checksum mostly
 *              right
 *
 * and about a third of the built segments (not the ICMP messages) are then
 * mutated at the byte level: bit flips, data offset, truncation, appended
 * bytes, option length bytes, flags, reserved bits, urgent pointer,
 * checksum; and a few frames of every kind at the IP level: IP options, a
 * bad IP checksum or length (dropped by IP).
 *
 * The protected connections (-p PEER:PORT,DUT:PORT, the tuple as the dut
 * sees it) must survive, and the test transfers data over them afterwards.
 * The flood learns their numbers by watching them on the peer's side
 * (-c NETNS:IF: a second packet socket there, opened before they connect).
 * Blind, it would hit their windows about once in 2^32 / RCV.WND segments
 * and never their edges; watching, it aims at RCV.NXT +-1, the right edge,
 * SND.UNA - MAX.SND.WND, SND.NXT + 1 thousands of times.  But knowing the
 * numbers, an attacker can of course kill or corrupt a connection: RFC 5961
 * only makes the blind one fail.  So the flood never sends the exact
 * RCV.NXT in a RST, nor anything else a TCP must act on: every well-formed
 * segment aimed at a protected tuple is held to what a correct TCP (RFC
 * 9293 + 5961) must survive, and fixed up (its seq or ack moved, or its
 * checksum broken) when it is not.  Linux's TCP survives the whole flood
 * (test_fuzz.sh with ATCP_PROTO=6), so these rules ask no more of atcp:
 *   - a RST never carries the dut's RCV.NXT: in the window it must only
 *     draw a challenge ACK (RFC 5961 3.2);
 *   - a SYN is anything: in or out of the window it draws a challenge ACK;
 *   - a segment whose ACK the dut may accept (not beyond SND.NXT, not older
 *     than SND.UNA - 2^30 > MAX.SND.WND) carries nothing new: it ends at or
 *     before RCV.NXT (old duplicates, pure ACKs at or before RCV.NXT: no
 *     data, FIN or window update the real peer does not override), acks
 *     nothing the peer has not, carries no newer timestamp than the peer's
 *     (PAWS) and no URG (whose pointer would make a byte of the data to
 *     come urgent: Linux then takes it out of the stream); data and FINs
 *     therefore come with an unacceptable ACK (RFC 5961 5.2) or out of the
 *     window;
 *   - a segment the dut must drop whatever it says (bad checksum, header
 *     shorter than 20 bytes or than its data offset, data offset under 5,
 *     bad IP header) may carry anything, an exact RST or in-window data
 *     with the right ACK included: that checks the order of the checks.
 * ICMP errors are not held to anything: in ESTABLISHED none is fatal (RFC
 * 1122 4.2.3.9; Linux keeps them as the soft error reported only if the
 * connection times out, unless IP_RECVERR is set, which the holds do not),
 * and one outside [SND.UNA, SND.NXT] is ignored.  Fragmentation needed in
 * the window lowers their path MTU (Linux no lower than min_pmtu, 552):
 * the transfers after the flood then take smaller segments, and still
 * arrive whole.
 * Meanwhile it watches the protected connections: a RST or FIN from either
 * side, or an ACK from the dut for data the peer never sent, stops the
 * flood (exit 3) and prints the last segments aimed at that connection.
 *
 * After COUNT segments it prints how the dut's counters (/proc/net/atcp_stat
 * in the namespace of -o; for -P 6 the Tcp and TcpExt counters of
 * /proc/net/snmp and netstat) moved during the flood, and looks for stuck
 * sockets there: bytes or a FIN outstanding and neither a retransmission nor
 * a probe timer, unchanged for 2 s (exit 4).  Then it resets the connections
 * and request socks it knows (RST at the dut's RCV.NXT as its last ACK said
 * and at the flood's own SND.NXT, again after a challenge ACK, paced under
 * the challenge-ACK limit), and prints what it did.  All along it checks
 * what the dut sends it: checksums, source addresses, header sanity.
 *
 * Options: -s SEED (default 1), -n COUNT (default 100000), -P PROTO (default
 * $ATCP_PROTO or 253), -m DUT_MAC, -d DUT_IP (the address on -o), -l PORT
 * (a listener; the first one is the sink's), -p PEER:PORT,DUT:PORT (up to
 * 4), -S NET/LEN (spoofed sources), -b BATCH (frames per sendmmsg, 32),
 * -R FILE (write "ready" there once the sockets are open, then wait for
 * SIGUSR1 before flooding; without -R it starts at once), -w PCAP (every
 * frame sent and seen), -v (print every segment aimed at a protected
 * connection), -U (do not hold them to the rules: to see that the flood
 * then damages them, and that it notices).
 * Exit: 0 done, 1 the dut sent something malformed, 2 setup failed,
 * 3 a protected connection was damaged, 4 a dut socket is stuck: it holds
 * data or a FIN not yet acknowledged, and no timer will send it again.
 *
 * The applications
 * ----------------
 * fuzz sink -p PORT[,PORT...] [-R FILE]: listens on 0.0.0.0:PORT, accepts
 * everything, reads; the first byte of a read may be a command: 'C' close,
 * 'W' shutdown(SHUT_WR), 'd' write 2000 bytes, 'D' write 64 KiB, 'L' close
 * with SO_LINGER 0 (RST), 'K' keepalive 1 s/1 s/2 probes, 'S' stop reading,
 * 'Q' TCP_QUICKACK.  SIGTERM (or SIGINT) ends it: it aborts the connections
 * it still has (SO_LINGER 0: the flood is gone, nobody would acknowledge a
 * FIN), closes the listeners and prints what it did.
 *
 * fuzz hold server|client -l ADDR:PORT -e ADDR:PORT [-n BYTES] [-s SEED]
 * [-R FILE] [-t SECS]: the server listens on -l and accepts the one
 * connection from -e; the client binds -l and connects to -e.  Both say
 * "helo" (4 bytes each way), wait 0.3 s so that the last ACKs are out, write
 * "ready" to -R, and wait for SIGUSR1; then each sends BYTES of a seeded
 * stream and checks every byte of the other's, shuts down, waits for EOF
 * and prints the FNV-1a hashes.  Exit 0 ok, 1 wrong data, 2 a system call
 * failed, 3 timeout.
 */
#define _GNU_SOURCE
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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void write_ready(const char *path, const char *line)
{
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "w");
	if (!f)
		die(path);
	fprintf(f, "%s\n", line);
	fclose(f);
}

/* ------------------------------------------------------------------------
 * random numbers: splitmix64, one stream per segment
 */

struct rng {
	uint64_t s;
};

static uint64_t rnext(struct rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnext(r) % n) : 0;
}

static int chance(struct rng *r, int pct)
{
	return rnd(r, 100) < (uint32_t)pct;
}

static void rbytes(struct rng *r, uint8_t *p, int n)
{
	while (n > 0) {
		uint64_t x = rnext(r);
		int k = n < 8 ? n : 8;

		memcpy(p, &x, k);
		p += k;
		n -= k;
	}
}

static void rng_seed(struct rng *r, uint64_t seed, uint64_t i)
{
	r->s = seed * 0xD1342543DE82EF95ULL ^ (i + 1) * 0x9E3779B97F4A7C15ULL;
	rnext(r);
}

/* ------------------------------------------------------------------------
 * bytes, checksums, addresses
 */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* Sequence space comparison: a - b as a signed distance. */
static int32_t sdiff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static uint32_t sum16(const uint8_t *p, int n, uint32_t s)
{
	while (n > 1) {
		s += p[0] << 8 | p[1];
		p += 2;
		n -= 2;
	}
	if (n > 0)
		s += p[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static uint32_t pseudo(uint32_t src, uint32_t dst, int proto, int len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

/* Store the right checksum (or a wrong or zero one) in a segment. */
enum { CS_GOOD, CS_BAD, CS_ZERO };

static void l4_csum(uint8_t *l4, int len, uint32_t src, uint32_t dst, int proto, int mode)
{
	uint16_t c;

	if (len < 18)
		return;
	put16(l4 + 16, 0);
	c = ~fold(sum16(l4, len, pseudo(src, dst, proto, len)));
	if (mode == CS_BAD)
		c ^= 0x5a5a;
	else if (mode == CS_ZERO)
		c = 0;
	put16(l4 + 16, c);
}

static int l4_csum_ok(const uint8_t *l4, int len, uint32_t src, uint32_t dst, int proto)
{
	return len >= 18 && fold(sum16(l4, len, pseudo(src, dst, proto, len))) == 0xffff;
}

static const char *ipstr(uint32_t a, char *buf)
{
	sprintf(buf, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return buf;
}

static uint32_t parse_ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		dief("bad address '%s'", s);
	return ntohl(a.s_addr);
}

/* "ADDR:PORT" */
static void parse_ep(const char *s, uint32_t *ip, uint16_t *port)
{
	char buf[64], *c;

	snprintf(buf, sizeof(buf), "%s", s);
	c = strrchr(buf, ':');
	if (!c)
		dief("want ADDR:PORT, got '%s'", s);
	*c = 0;
	*ip = parse_ip(buf);
	*port = atoi(c + 1);
}

static void parse_mac(const char *s, uint8_t *mac)
{
	unsigned int m[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		dief("bad MAC '%s'", s);
	for (i = 0; i < 6; i++)
		mac[i] = m[i];
}

static const char *flagstr(unsigned int fl, char *buf)
{
	static const char letters[] = "FSRP.UEWN";
	int i, n = 0;

	for (i = 0; i < 9; i++)
		if (fl & (1u << i))
			buf[n++] = letters[i];
	if (!n)
		buf[n++] = '-';
	buf[n] = 0;
	return buf;
}

/* ------------------------------------------------------------------------
 * network namespaces
 */

static int orig_ns = -1;

static void enter_ns(const char *name)
{
	char path[256];
	int fd;

	if (orig_ns < 0) {
		orig_ns = open("/proc/self/ns/net", O_RDONLY);
		if (orig_ns < 0)
			die("/proc/self/ns/net");
	}
	if (!name || !*name || !strcmp(name, "-"))
		return;
	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	if (setns(fd, CLONE_NEWNET))
		die("setns");
	close(fd);
}

static void leave_ns(void)
{
	if (orig_ns >= 0 && setns(orig_ns, CLONE_NEWNET))
		die("setns back");
}

/* "NETNS:IF" */
static void split_nsif(const char *arg, char **ns, char **ifn)
{
	char *s = strdup(arg), *c = strchr(s, ':');

	if (!c)
		dief("want NETNS:IF, got '%s'", arg);
	*c = 0;
	*ns = s;
	*ifn = c + 1;
}

/* A packet socket on IF in NETNS; the interface's MAC in mac if wanted. */
static int packet_socket(const char *ns, const char *ifn, int ignore_out, uint8_t *mac)
{
	struct sockaddr_ll sll = { 0 };
	int fd, one = 1, buf = 8 << 20;
	struct ifreq ifr;

	enter_ns(ns);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		die("socket(AF_PACKET)");
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = if_nametoindex(ifn);
	if (!sll.sll_ifindex)
		die(ifn);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("bind(AF_PACKET)");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (ignore_out &&
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)))
		die("PACKET_IGNORE_OUTGOING");
	if (mac) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifn);
		if (ioctl(fd, SIOCGIFHWADDR, &ifr))
			die("SIOCGIFHWADDR");
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	leave_ns();
	return fd;
}

/* Turn off checksum offload and segmentation on the dut's interface. */
static int offloads_off(const char *ns, const char *ifn)
{
	static const uint32_t cmds[] = { ETHTOOL_STXCSUM, ETHTOOL_STSO, ETHTOOL_SGSO };
	struct ethtool_value ev;
	struct ifreq ifr;
	unsigned int i;
	int fd, ok = 1;

	enter_ns(ns);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifn);
		ev.cmd = cmds[i];
		ev.data = 0;
		ifr.ifr_data = (void *)&ev;
		if (ioctl(fd, SIOCETHTOOL, &ifr))
			ok = 0;
	}
	close(fd);
	leave_ns();
	return ok;
}

/* ------------------------------------------------------------------------
 * pcap
 */

static FILE *pcap;

static void pcap_open(const char *path)
{
	static const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };

	pcap = fopen(path, "w");
	if (!pcap)
		die(path);
	fwrite(hdr, sizeof(hdr), 1, pcap);
}

static void pcap_frame(const uint8_t *fr, int len, int wire)
{
	struct timeval tv;
	uint32_t rec[4];

	if (!pcap)
		return;
	gettimeofday(&tv, NULL);
	rec[0] = tv.tv_sec;
	rec[1] = tv.tv_usec;
	rec[2] = len;
	rec[3] = wire;
	fwrite(rec, sizeof(rec), 1, pcap);
	fwrite(fr, len, 1, pcap);
}

/* ------------------------------------------------------------------------
 * configuration and state of the flood
 */

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

static struct {
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
} cfg = {
	.seed = 1, .count = 100000, .batch = 32,
	.dut_ip = 0x0afd0101, .spoof_net = 0x0afd8000, .spoof_mask = 0xffff8000,
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

#define NREC 60000
#define HBITS 17
static struct rec recs[NREC];
static int nrec;
static int htab[1 << HBITS];	/* index + 1 into recs */

#define NSLOT 8
static int slot[NSLOT] = { -1, -1, -1, -1, -1, -1, -1, -1 };
static int reqring[256];
static int nreq;

static struct {
	long sent, replies, cleanup;
	long kind[6];
	long mutated, badcsum, short_hdr, baddoff, ipbad, to_dut;
	long opened, established, dut_rsts, reqs, synacks, children;
	long rx, rx_dut, dut_badcsum, dut_badsrc, dut_badhdr, rx_other;
	long enobufs;
	long icmp_aim[5], icmp_frag, icmp_cut, icmp_badihl, icmp_other, icmp_badcsum;
} st;

static const char *const icmp_aim_name[5] = {
	"own connections", "request socks", "protected", "listeners", "random tuples"
};
enum { A_OWN, A_REQ, A_PROT, A_LISTEN, A_RANDOM };

static const char *const kind_name[6] = {
	"garbage", "random", "listen", "conn", "protected", "icmp"
};
enum { K_GARBAGE, K_RANDOM, K_LISTEN, K_CONN, K_PROT, K_ICMP };

static int csum_check = 1;	/* the dut's offloads are off: check its checksums */
static int flooding;
static volatile sig_atomic_t got_go;

static unsigned int hkey(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	uint64_t k = ((uint64_t)src << 32 | dst) * 0x9E3779B97F4A7C15ULL;

	k ^= ((uint64_t)sport << 16 | dport) * 0xC2B2AE3D27D4EB4FULL;
	return (k >> 29) & ((1 << HBITS) - 1);
}

static struct rec *rec_find(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	unsigned int h = hkey(src, dst, sport, dport);

	while (htab[h]) {
		struct rec *f = &recs[htab[h] - 1];

		if (f->src == src && f->dst == dst && f->sport == sport && f->dport == dport)
			return f;
		h = (h + 1) & ((1 << HBITS) - 1);
	}
	return NULL;
}

static struct rec *rec_new(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	unsigned int h = hkey(src, dst, sport, dport);
	struct rec *f;

	if (nrec >= NREC)
		return NULL;
	while (htab[h]) {
		f = &recs[htab[h] - 1];
		if (f->src == src && f->dst == dst && f->sport == sport && f->dport == dport)
			return NULL;	/* taken */
		h = (h + 1) & ((1 << HBITS) - 1);
	}
	f = &recs[nrec++];
	memset(f, 0, sizeof(*f));
	f->src = src;
	f->dst = dst;
	f->sport = sport;
	f->dport = dport;
	htab[h] = nrec;
	return f;
}

static int is_prot_tuple(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	int i;

	for (i = 0; i < cfg.nprot; i++) {
		struct pconn *p = &cfg.prot[i];

		if (src == p->pip && dst == p->dip && sport == p->pport && dport == p->dport)
			return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------------
 * building segments
 */

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

static void seg_init(struct seg *s)
{
	memset(s, 0, sizeof(*s));
	s->doff = -1;
	s->win = 65535;
}

/* Well-formed options, in random order and with random (edge) values. */
static int opt_valid(struct rng *r, uint8_t *o, int syn, uint32_t sack_base, uint32_t tsval,
		     uint32_t tsecr)
{
	int n = 0, k, i, items = 1 + rnd(r, 5);

	for (k = 0; k < items; k++) {
		switch (rnd(r, syn ? 7 : 4)) {
		case 0:		/* timestamps */
			if (n + 10 > 40)
				break;
			if (chance(r, 50)) {
				o[n++] = 1;
				o[n++] = 1;
			}
			if (n + 10 > 40)
				break;
			o[n++] = 8;
			o[n++] = 10;
			put32(o + n, tsval);
			put32(o + n + 4, tsecr);
			n += 8;
			break;
		case 1:		/* SACK blocks */
			i = 1 + rnd(r, 4);
			while (n + 2 + 8 * i > 40)
				i--;
			if (i <= 0)
				break;
			o[n++] = 5;
			o[n++] = 2 + 8 * i;
			while (i--) {
				uint32_t left = sack_base + rnd(r, 70000) - 5000;

				put32(o + n, left);
				put32(o + n + 4, left + (chance(r, 90) ? rnd(r, 3000) :
							 (uint32_t)rnext(r)));
				n += 8;
			}
			break;
		case 2:
			if (n < 40)
				o[n++] = 1;	/* NOP */
			break;
		case 3:		/* an unknown option, well-formed */
			i = 2 + rnd(r, 8);
			if (n + i > 40)
				break;
			o[n] = 9 + rnd(r, 240);
			o[n + 1] = i;
			rbytes(r, o + n + 2, i - 2);
			n += i;
			break;
		case 4:		/* MSS */
			if (n + 4 > 40)
				break;
			o[n++] = 2;
			o[n++] = 4;
			switch (rnd(r, 5)) {
			case 0: put16(o + n, 0); break;
			case 1: put16(o + n, 1 + rnd(r, 100)); break;
			case 2: put16(o + n, 65535); break;
			default: put16(o + n, 536 + rnd(r, 1000)); break;
			}
			n += 2;
			break;
		case 5:		/* window scale */
			if (n + 3 > 40)
				break;
			o[n++] = 3;
			o[n++] = 3;
			o[n++] = chance(r, 80) ? rnd(r, 15) : rnd(r, 256);
			break;
		case 6:
			if (n + 2 > 40)
				break;
			o[n++] = 4;	/* SACK permitted */
			o[n++] = 2;
			break;
		}
	}
	if (chance(r, 10) && n < 40)
		o[n++] = 0;	/* EOL, then whatever */
	return n;
}

/* Options of any shape: wrong lengths, zero and one, past the end. */
static int opt_random(struct rng *r, uint8_t *o)
{
	int n = 0, k, items = 1 + rnd(r, 6), room;

	for (k = 0; k < items && n < 40; k++) {
		room = 40 - n;
		switch (rnd(r, 8)) {
		case 0:		/* a known kind, a random length */
			o[n++] = 2 + rnd(r, 7);
			if (n < 40)
				o[n++] = rnd(r, 12);
			break;
		case 1:		/* length 0 or 1 */
			o[n++] = 2 + rnd(r, 250);
			if (n < 40)
				o[n++] = rnd(r, 2);
			break;
		case 2:		/* length past the end */
			o[n++] = rnd(r, 256);
			if (n < 40)
				o[n++] = room + rnd(r, 40);
			break;
		case 3:		/* a kind with no length byte: the last byte */
			if (room >= 1) {
				o[n++] = 2 + rnd(r, 30);
				return n;
			}
			break;
		case 4:		/* SACK with a length that is not 2 + 8n */
			if (room >= 12) {
				o[n++] = 5;
				o[n++] = 3 + rnd(r, 9);
				rbytes(r, o + n, o[n - 1] - 2);
				n += o[n - 1] - 2;
			}
			break;
		case 5:
			if (room >= 4) {
				rbytes(r, o + n, 4);
				n += 4;
			}
			break;
		default: {
			uint8_t tmp[40];
			int m = opt_valid(r, tmp, 1, rnext(r), rnext(r), rnext(r));

			if (m > room)
				m = room;
			memcpy(o + n, tmp, m);
			n += m;
			break;
		}
		}
	}
	return n;
}

/* The segment as bytes at l4; returns its length. */
static int seg_bytes(const struct seg *s, uint8_t *l4)
{
	int hl = 20 + ((s->optlen + 3) & ~3);
	int doff = s->doff >= 0 ? s->doff : hl / 4;

	memset(l4, 0, hl);
	put16(l4, s->sport);
	put16(l4 + 2, s->dport);
	put32(l4 + 4, s->seq);
	put32(l4 + 8, s->ack);
	l4[12] = (doff & 15) << 4 | (s->res & 7) << 1 | ((s->flags >> 8) & 1);
	l4[13] = s->flags & 0xff;
	put16(l4 + 14, s->win);
	put16(l4 + 18, s->urg);
	memcpy(l4 + 20, s->opt, s->optlen);
	memcpy(l4 + hl, s->pay, s->plen);
	return hl + s->plen;
}

/* A frame under construction. */
struct pkt {
	uint8_t fr[MAXFRAME];
	int len;		/* frame length */
	int l4off, l4len;
	uint32_t src, dst;
	int proto;		/* of the IP header: cfg.proto, or 1 (ICMP) */
	int ipbad;		/* certainly dropped by IP */
};

/* ------------------------------------------------------------------------
 * the protected connections
 */

static void p_note(struct pconn *p, const char *what, const uint8_t *l4, int len)
{
	char fl[12], line[160];
	int doff = len >= 20 ? l4[12] >> 4 : 0;
	int dlen = len >= 20 && doff * 4 <= len ? len - doff * 4 : 0;

	if (len >= 20)
		snprintf(line, sizeof(line),
			 "%s %s seq %+d ack %+d win %u doff %d len %d l4len %d",
			 what, flagstr(get16(l4 + 12) & 0x1ff, fl),
			 sdiff(get32(l4 + 4), p->d_ack), sdiff(get32(l4 + 8), p->d_end),
			 get16(l4 + 14), doff, dlen, len);
	else
		snprintf(line, sizeof(line), "%s short segment, %d bytes", what, len);
	snprintf(p->ring[p->ringpos++ % 16], sizeof(p->ring[0]), "%s", line);
	if (cfg.verbose)
		printf("fuzz:   %s:%u %s\n", "p", p->pport, line);
}

static void p_fail(struct pconn *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void p_fail(struct pconn *p, const char *fmt, ...)
{
	va_list ap;

	if (p->bad)
		return;
	p->bad = 1;
	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
}

/*
 * Is this well-formed segment one a correct TCP must survive, on this
 * protected connection?  Returns 0 if so, else what is wrong with it:
 * 1 an exact RST, 2 the dut may accept its ACK and it brings something new,
 * 3 its ACK acknowledges what the peer has not, 4 a newer timestamp, 5 URG.
 */
static int p_unsafe(const struct pconn *p, const uint8_t *l4, int len, int *tsoff)
{
	int doff = l4[12] >> 4, flags = get16(l4 + 12) & 0x1ff, i, hl;
	uint32_t seq = get32(l4 + 4), ack = get32(l4 + 8);
	uint32_t end = seq + (len - doff * 4) + !!(flags & F_SYN) + !!(flags & F_FIN);
	uint32_t rcv_lo = p->d_ack, rcv_hi = p->p_end;

	*tsoff = -1;
	if (flags & F_RST)
		return sdiff(seq, rcv_lo) >= 0 && sdiff(seq, rcv_hi) <= 0 ? 1 : 0;
	if ((flags & F_SYN) || !(flags & F_ACK))
		return 0;
	if (sdiff(ack, p->d_end) > 0 || sdiff(ack, p->p_ack) < -((1 << 30) + (1 << 20)))
		return 0;	/* an unacceptable ACK: dropped */
	if (sdiff(seq, rcv_hi) > (1 << 30))
		return 0;	/* beyond any window */
	if (sdiff(end, rcv_lo) > 0)
		return 2;
	if (sdiff(ack, p->p_ack) > 0)
		return 3;
	if (flags & F_URG)
		return 5;	/* RCV.UP: a byte of future data would be urgent */
	/* A timestamp newer than the peer's would be a PAWS trap. */
	hl = doff * 4;
	for (i = 20; i < hl;) {
		int kind = l4[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= hl)
			break;
		olen = l4[i + 1];
		if (olen < 2 || i + olen > hl)
			break;
		if (kind == 8 && olen == 10) {
			*tsoff = i + 2;
			if (p->ts && sdiff(get32(l4 + i + 2), p->p_tsval) > 0)
				return 4;
		}
		i += olen;
	}
	return 0;
}

/* Hold a segment aimed at a protected tuple to the rules (see the top). */
static void p_filter(struct rng *r, struct pkt *k)
{
	uint8_t *l4 = k->fr + k->l4off;
	int len = k->l4len, i, why, tsoff, doff;
	struct pconn *p = NULL;

	if (len < 20)
		return;
	for (i = 0; i < cfg.nprot; i++) {
		struct pconn *q = &cfg.prot[i];

		if (k->src == q->pip && k->dst == q->dip && get16(l4) == q->pport &&
		    get16(l4 + 2) == q->dport)
			p = q;
	}
	if (!p)
		return;
	p->aimed++;
	p->fixed_now = 0;
	doff = l4[12] >> 4;
	if (k->ipbad || doff < 5 || doff * 4 > len ||
	    !l4_csum_ok(l4, len, k->src, k->dst, cfg.proto)) {
		p->invalid++;
		p_note(p, "invalid", l4, len);
		return;
	}
	if (cfg.unsafe) {
		p_note(p, "kept", l4, len);
		return;
	}
	for (i = 0; i < 4 && (why = p_unsafe(p, l4, len, &tsoff)); i++) {
		uint32_t seq = get32(l4 + 4);

		p->fixed++;
		p->fixed_now = 1;
		switch (why) {
		case 1:
			if (chance(r, 70))
				seq = p->p_end + 1 + rnd(r, p->d_win > 1 ? p->d_win - 1 : 1);
			else
				seq = p->d_ack - 1 - rnd(r, 65536);
			put32(l4 + 4, seq);
			break;
		case 4:
			put32(l4 + tsoff, p->p_tsval - 1 - rnd(r, 1 << 20));
			break;
		case 5:
			l4[13] &= ~F_URG;
			break;
		default:
			switch (rnd(r, 4)) {
			case 0:
			case 1:	/* beyond SND.NXT */
				put32(l4 + 8, p->d_end + 1 + rnd(r, 1 << 30));
				break;
			case 2:	/* older than SND.UNA - MAX.SND.WND */
				put32(l4 + 8, p->p_ack - (1u << 30) - (1u << 21) - rnd(r, 1 << 29));
				break;
			default: /* beyond the window */
				put32(l4 + 4, p->p_end + (1u << 30) + 1 + rnd(r, 1 << 29));
				break;
			}
		}
		l4_csum(l4, len, k->src, k->dst, cfg.proto, CS_GOOD);
	}
	if (why) {	/* give up: break it */
		l4_csum(l4, len, k->src, k->dst, cfg.proto, CS_BAD);
		p->invalid++;
		p_note(p, "broken", l4, len);
		return;
	}
	{
		uint32_t seq = get32(l4 + 4);
		int flags = get16(l4 + 12) & 0x1ff;

		if (sdiff(seq, p->d_ack) >= 0 && sdiff(seq, p->d_ack + p->d_win) < 0) {
			p->inwin++;
			if (flags & F_RST)
				p->rst_inwin++;
		}
		if (flags & F_SYN)
			p->syn++;
		if ((flags & F_ACK) && !(flags & (F_SYN | F_RST)) &&
		    (sdiff(get32(l4 + 8), p->d_end) > 0 ||
		     sdiff(get32(l4 + 8), p->p_ack) < -(1 << 30)))
			p->badack++;
	}
	p_note(p, p->fixed_now ? "fixed" : "kept", l4, len);
}

/* What the peer-side packet socket saw on a protected connection. */
static void p_seen(struct pconn *p, int from_dut, const uint8_t *l4, int l4len, int dlen)
{
	int flags = get16(l4 + 12) & 0x1ff, doff = l4[12] >> 4, i, ws = -1, ts = 0;
	uint32_t seq = get32(l4 + 4), ack = get32(l4 + 8), tsval = 0;
	uint32_t end = seq + dlen + !!(flags & F_SYN) + !!(flags & F_FIN);
	uint32_t win = get16(l4 + 14);

	for (i = 20; i < doff * 4 && i < l4len;) {
		int kind = l4[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= l4len)
			break;
		olen = l4[i + 1];
		if (olen < 2 || i + olen > l4len)
			break;
		if (kind == 3 && olen == 3)
			ws = l4[i + 2] > 14 ? 14 : l4[i + 2];
		if (kind == 8 && olen == 10) {
			ts = 1;
			tsval = get32(l4 + i + 2);
		}
		i += olen;
	}
	if (from_dut) {
		if (flags & F_SYN) {
			p->ws_d = ws;
			p->ts_d = ts;
			p->ts = p->ts_p && p->ts_d;
			p->d_end = end;
		} else {
			win <<= p->ws_d > 0 && p->ws_p >= 0 ? p->ws_d : 0;
		}
		if (!p->seen_d || sdiff(end, p->d_end) > 0) {
			if (flooding && p->seen_d && dlen)
				printf("fuzz: %u: the dut sent %d bytes of data during the flood\n",
				       p->dport, dlen);
			p->d_end = end;
		}
		if (flags & F_ACK) {
			p->d_ack = ack;
			p->d_win = win;
		}
		p->seen_d++;
		if (flooding) {
			p->d_segs++;
			if (flags & F_RST)
				p_fail(p, "the dut sent a RST");
			else if (flags & F_FIN)
				p_fail(p, "the dut sent a FIN");
			else if ((flags & F_ACK) && sdiff(ack, p->p_end) > 0)
				p_fail(p, "the dut acknowledged %d bytes the peer never sent",
				       sdiff(ack, p->p_end));
		}
	} else {
		if (flags & F_SYN) {
			p->ws_p = ws;
			p->ts_p = ts;
			p->ts = p->ts_p && p->ts_d;
			p->p_end = end;
		} else {
			win <<= p->ws_p > 0 && p->ws_d >= 0 ? p->ws_p : 0;
		}
		if (!p->seen_p || sdiff(end, p->p_end) > 0)
			p->p_end = end;
		if ((flags & F_ACK) && (!p->p_ack_ok || sdiff(ack, p->p_ack) > 0)) {
			p->p_ack = ack;
			p->p_ack_ok = 1;
		}
		if (flags & F_ACK)
			p->p_win = win;
		if (ts)
			p->p_tsval = tsval;
		p->seen_p++;
		if (flooding && (flags & (F_RST | F_FIN)))
			p_fail(p, "the peer sent a %s", flags & F_RST ? "RST" : "FIN");
	}
}

/* ------------------------------------------------------------------------
 * the generators
 */

static uint32_t spoof_ip(struct rng *r)
{
	uint32_t host = rnd(r, ~cfg.spoof_mask - 1) + 1;

	return cfg.spoof_net | host;
}

static uint32_t any_src(struct rng *r)
{
	static const uint32_t odd[] = {
		0x00000000, 0x7f000001, 0xffffffff, 0xe0000001, 0x0afd0102,
		0x0afd014d, 0x0afd01ff,
	};
	int k = rnd(r, 100);

	if (k < 80)
		return spoof_ip(r);
	if (k < 90 && cfg.nprot)
		return cfg.prot[rnd(r, cfg.nprot)].pip;
	if (k < 95)
		return cfg.dut_ip;	/* martian: our own address */
	return odd[rnd(r, sizeof(odd) / sizeof(odd[0]))];
}

static uint32_t any_dst(struct rng *r)
{
	static const uint32_t odd[] = { 0x0afd01ff, 0xffffffff, 0xe0000001, 0x0afd0909 };
	int k = rnd(r, 100);

	if (k < 55)
		return cfg.dut_ip;
	if (k < 95)
		return cfg.nprot ? cfg.prot[rnd(r, cfg.nprot)].dip : cfg.dut_ip;
	return odd[rnd(r, 4)];
}

static uint16_t any_port(struct rng *r)
{
	int k = rnd(r, 100);

	if (k < 35)
		return rnd(r, 65536);
	if (k < 70 && cfg.nlports)
		return cfg.lports[rnd(r, cfg.nlports)];
	if (cfg.nprot) {
		struct pconn *p = &cfg.prot[rnd(r, cfg.nprot)];

		return chance(r, 50) ? p->dport : p->pport;
	}
	return rnd(r, 65536);
}

static uint16_t pick_win(struct rng *r)
{
	switch (rnd(r, 6)) {
	case 0: return 0;
	case 1: return 1 + rnd(r, 16);
	case 2: return 65535;
	default: return rnd(r, 65536);
	}
}

static void fill_payload(struct rng *r, struct seg *s, int maxlen)
{
	switch (rnd(r, 4)) {
	case 0: s->plen = 1; break;
	case 1: s->plen = 1 + rnd(r, 100); break;
	default: s->plen = 1 + rnd(r, maxlen); break;
	}
	if (s->plen > maxlen)
		s->plen = maxlen;
	rbytes(r, s->pay, s->plen);
}

/* Random header fields. */
static void gen_random(struct rng *r, struct seg *s)
{
	s->src = any_src(r);
	s->dst = any_dst(r);
	s->sport = any_port(r);
	s->dport = any_port(r);
	s->seq = rnext(r);
	s->ack = rnext(r);
	s->flags = rnd(r, 512);
	if (chance(r, 10))
		s->res = rnd(r, 8);
	s->win = rnext(r);
	s->urg = chance(r, 80) ? 0 : rnext(r);
	if (chance(r, 50))
		s->optlen = chance(r, 50) ? opt_valid(r, s->opt, s->flags & F_SYN, rnext(r),
						     rnext(r), rnext(r)) : opt_random(r, s->opt);
	if (chance(r, 25))
		s->doff = rnd(r, 16);
	if (chance(r, 55))
		fill_payload(r, s, 1400);
	s->cs = chance(r, 80) ? CS_GOOD : chance(r, 75) ? CS_BAD : CS_ZERO;
}

/* A new tracked tuple from a spoofed source. */
static struct rec *new_tuple(struct rng *r, uint16_t dport, uint32_t dst, int peer_too)
{
	int tries;

	for (tries = 0; tries < 8; tries++) {
		uint32_t src = !peer_too || chance(r, 95) || !cfg.nprot ? spoof_ip(r) :
			       cfg.prot[0].pip;
		uint16_t sport = 1024 + rnd(r, 64512);
		struct rec *f;

		if (is_prot_tuple(src, dst, sport, dport))
			continue;
		f = rec_new(src, dst, sport, dport);
		if (f)
			return f;
	}
	return NULL;
}

static void syn_options(struct rng *r, struct seg *s)
{
	int k = rnd(r, 100);

	if (k < 70)
		s->optlen = opt_valid(r, s->opt, 1, rnext(r), rnext(r), 0);
	else if (k < 85)
		s->optlen = opt_random(r, s->opt);
}

/* At the listeners. */
static void gen_listen(struct rng *r, struct seg *s)
{
	int k = rnd(r, 100);
	/* Mostly at the listeners after the first, which the flood's own
	 * connections use: their request queues are full most of the time. */
	uint16_t port = !cfg.nlports ? 1 : cfg.nlports == 1 || chance(r, 10) ? cfg.lports[0] :
			cfg.lports[1 + rnd(r, cfg.nlports - 1)];
	uint32_t dst = cfg.nprot && chance(r, 30) ? cfg.prot[0].dip : cfg.dut_ip;
	struct rec *f;

	if (k < 35 && nreq) {
		/* The third segment, right or not, for a request sock. */
		f = &recs[reqring[rnd(r, nreq < 256 ? nreq : 256)]];
		s->src = f->src;
		s->dst = f->dst;
		s->sport = f->sport;
		s->dport = f->dport;
		s->seq = f->isn + 1;
		s->ack = f->dut_isn + 1;
		s->flags = F_ACK;
		s->win = pick_win(r);
		if (f->ts && chance(r, 80)) {
			s->opt[0] = 1;
			s->opt[1] = 1;
			s->opt[2] = 8;
			s->opt[3] = 10;
			put32(s->opt + 4, rnext(r));
			put32(s->opt + 8, f->dut_tsval);
			s->optlen = 12;
		}
		switch (rnd(r, 12)) {
		case 0: case 1: case 2: break;		/* right: a child */
		case 3: fill_payload(r, s, 1400); s->flags |= F_PSH; break;
		case 4: s->ack += chance(r, 50) ? 1 : -1 - rnd(r, 100000); break;
		case 5: s->seq += chance(r, 50) ? 1 + rnd(r, 70000) : -1 - rnd(r, 1000); break;
		case 6: s->flags = F_RST | (chance(r, 50) ? F_ACK : 0);
			if (chance(r, 50))
				s->seq += rnd(r, 70000);
			break;
		case 7: s->flags = F_SYN; s->seq = f->isn;	/* retransmitted SYN */
			s->optlen = 0;
			break;
		case 8: s->flags = F_SYN | (chance(r, 50) ? F_ACK : 0);
			s->seq = f->isn + rnd(r, 70000);
			break;
		case 9: s->flags = F_FIN | F_ACK; break;
		case 10: s->flags = rnd(r, 512); break;
		default: s->flags = 0; break;
		}
		f->cleaned = 0;
		return;
	}
	f = new_tuple(r, chance(r, 90) ? port : rnd(r, 65536), dst, 1);
	if (!f) {
		gen_random(r, s);
		return;
	}
	s->src = f->src;
	s->dst = f->dst;
	s->sport = f->sport;
	s->dport = f->dport;
	s->seq = f->isn = rnext(r);
	s->win = pick_win(r);
	if (k < 80) {
		f->state = R_REQ;
		st.reqs++;
		s->flags = F_SYN;
		switch (rnd(r, 10)) {
		case 0: s->flags |= F_ECE | F_CWR; break;
		case 1: s->flags |= rnd(r, 512) & ~(F_FIN | F_RST | F_ACK); break;
		case 2: fill_payload(r, s, 1000); break;
		case 3: s->ack = rnext(r); break;
		}
		syn_options(r, s);
	} else {
		static const uint16_t fl[] = {
			F_ACK, F_ACK, F_RST, F_RST | F_ACK, F_FIN, F_FIN | F_ACK, 0,
			F_PSH | F_ACK, F_SYN | F_FIN, F_SYN | F_RST, F_SYN | F_ACK,
		};
		s->flags = fl[rnd(r, sizeof(fl) / sizeof(fl[0]))];
		s->ack = rnext(r);
		if (chance(r, 30))
			fill_payload(r, s, 1400);
		f->state = R_DEAD;	/* nothing to clean up */
	}
}

static void fc_ts(struct rng *r, struct seg *s, struct rec *f, uint32_t tsval)
{
	if (!f->ts || chance(r, 5))
		return;
	s->opt[s->optlen++] = 1;
	s->opt[s->optlen++] = 1;
	s->opt[s->optlen++] = 8;
	s->opt[s->optlen++] = 10;
	put32(s->opt + s->optlen, tsval);
	put32(s->opt + s->optlen + 4, f->dut_tsval);
	s->optlen += 8;
}

static const char sink_cmds[] = "CWdDLKSQ";

/* The flood's own connections: anything goes, it knows their numbers. */
static void gen_conn(struct rng *r, struct seg *s, long i)
{
	int n = rnd(r, NSLOT), k;
	struct rec *f = slot[n] >= 0 ? &recs[slot[n]] : NULL;

	if (f && (f->state == R_EST || f->state == R_SYN_SENT) && f->budget <= 0) {
		/* Retire it: mostly with an exact RST. */
		if (f->state == R_EST && chance(r, 70)) {
			s->src = f->src;
			s->dst = f->dst;
			s->sport = f->sport;
			s->dport = f->dport;
			s->seq = f->dut_ack_ok ? f->dut_ack : f->snd_nxt;
			s->flags = F_RST;
			s->win = 0;
			f->state = R_DEAD;
			slot[n] = -1;
			return;
		}
		f = NULL;
	}
	if (!f || f->state == R_DEAD) {
		uint32_t dst = cfg.nprot && chance(r, 20) ? cfg.prot[0].dip : cfg.dut_ip;

		f = new_tuple(r, cfg.nlports ? cfg.lports[chance(r, 85) ? 0 :
					     rnd(r, cfg.nlports)] : 1, dst, 0);
		if (!f) {
			gen_random(r, s);
			return;
		}
		slot[n] = f - recs;
		f->state = R_SYN_SENT;
		f->isn = rnext(r);
		f->snd_nxt = f->isn + 1;
		f->budget = 20 + rnd(r, 300);
		st.opened++;
		s->src = f->src;
		s->dst = f->dst;
		s->sport = f->sport;
		s->dport = f->dport;
		s->seq = f->isn;
		s->flags = F_SYN;
		s->win = 65535;
		s->opt[0] = 2;
		s->opt[1] = 4;
		put16(s->opt + 2, chance(r, 80) ? 1460 : 200 + rnd(r, 1260));
		s->optlen = 4;
		if (chance(r, 70)) {
			s->opt[s->optlen++] = 1;
			s->opt[s->optlen++] = 3;
			s->opt[s->optlen++] = 3;
			s->opt[s->optlen++] = rnd(r, 15);
		}
		if (chance(r, 60)) {
			s->opt[s->optlen++] = 4;
			s->opt[s->optlen++] = 2;
		}
		if (chance(r, 50)) {
			s->opt[s->optlen++] = 8;
			s->opt[s->optlen++] = 10;
			put32(s->opt + s->optlen, (uint32_t)i);
			put32(s->opt + s->optlen + 4, 0);
			s->optlen += 8;
		}
		return;
	}
	f->budget--;
	s->src = f->src;
	s->dst = f->dst;
	s->sport = f->sport;
	s->dport = f->dport;
	s->seq = f->snd_nxt;
	s->ack = f->rcv_nxt;
	s->flags = F_ACK;
	s->win = chance(r, 90) ? 65535 : pick_win(r);
	if (f->state == R_SYN_SENT) {
		/* No SYN-ACK yet: the SYN again, or something else. */
		if (++f->waited > 6) {
			f->budget = 0;
			f->state = R_DEAD;
		}
		if (chance(r, 60)) {
			s->seq = f->isn;
			s->flags = F_SYN;
			s->optlen = 0;
		} else {
			s->ack = rnext(r);
			s->flags = rnd(r, 512);
		}
		return;
	}
	fc_ts(r, s, f, (uint32_t)i);
	k = rnd(r, 100);
	if (k < 30) {		/* in-order data */
		fill_payload(r, s, 1400);
		s->pay[0] = chance(r, 12) ? sink_cmds[rnd(r, sizeof(sink_cmds) - 1)] : 'x';
		s->flags |= F_PSH;
		f->snd_nxt += s->plen;
	} else if (k < 45) {	/* ACK what the dut sent */
		if (chance(r, 15))
			s->win = 0;
	} else if (k < 49) {	/* FIN */
		s->flags |= F_FIN;
		f->snd_nxt++;
	} else if (k < 52) {	/* exact RST */
		s->flags = F_RST | (chance(r, 50) ? F_ACK : 0);
		s->seq = f->dut_ack_ok ? f->dut_ack : f->snd_nxt;
		f->state = R_DEAD;
		slot[n] = -1;
	} else if (k < 62) {	/* out of order */
		fill_payload(r, s, 1400);
		s->seq += 1 + rnd(r, chance(r, 80) ? 20000 : 2000000);
		if (chance(r, 20))
			s->flags |= F_FIN;
	} else if (k < 68) {	/* overlapping or old data, other bytes */
		fill_payload(r, s, 1400);
		s->seq -= 1 + rnd(r, 3000);
	} else if (k < 74) {	/* SACK blocks about the dut's data */
		s->optlen = opt_valid(r, s->opt, 0, f->rcv_nxt - 4000, (uint32_t)i, f->dut_tsval);
	} else {		/* a mutation of the next segment */
		switch (rnd(r, 10)) {
		case 0: s->seq += rnd(r, 2) ? 1 + rnd(r, 70000) : -1 - rnd(r, 70000); break;
		case 1: s->ack += rnd(r, 2) ? 1 + rnd(r, 70000) : -1 - rnd(r, 70000); break;
		case 2: s->ack += 0x80000000u; break;
		case 3: s->flags = F_SYN | (chance(r, 50) ? F_ACK : 0); break;
		case 4: s->flags = F_RST; s->seq += 1 + rnd(r, 60000); break;
		case 5: s->flags = rnd(r, 512); break;
		case 6: s->flags &= ~F_ACK; fill_payload(r, s, 200); break;
		case 7: s->flags |= F_URG; s->urg = rnext(r); fill_payload(r, s, 200); break;
		case 8: s->flags |= F_ECE | F_CWR; break;
		default: s->win = 0; fill_payload(r, s, 100); break;
		}
	}
}

static uint32_t p_seq(struct rng *r, const struct pconn *p)
{
	uint32_t rcv = p->d_ack, wnd = p->d_win ? p->d_win : 1;

	switch (rnd(r, 11)) {
	case 0: return rcv;
	case 1: return rcv + 1 + rnd(r, 3);
	case 2: return rcv - 1 - rnd(r, 3);
	case 3: case 4: return rcv + rnd(r, wnd);
	case 5: return rcv + wnd - 2 + rnd(r, 4);
	case 6: return rcv - rnd(r, 100000);
	case 7: return rcv + wnd + rnd(r, 100000);
	case 8: return rcv + 0x80000000u - 512 + rnd(r, 1024);
	default: return rnext(r);
	}
}

static uint32_t p_ack(struct rng *r, const struct pconn *p)
{
	uint32_t pw = p->p_win ? p->p_win : 1;

	switch (rnd(r, 10)) {
	case 0: case 1: return p->p_ack;
	case 2: return p->d_end + 1 + rnd(r, 3);
	case 3: return p->p_ack - 1 - rnd(r, 3);
	case 4: return p->p_ack - pw - 2 + rnd(r, 4);
	case 5: return p->p_ack - rnd(r, pw);
	case 6: return p->d_end + rnd(r, 1 << 20);
	case 7: return p->p_ack - (1u << 30) - rnd(r, 1 << 29);
	default: return rnext(r);
	}
}

/* At a protected connection (p_filter holds it to the rules). */
static void gen_prot(struct rng *r, struct seg *s)
{
	struct pconn *p = &cfg.prot[rnd(r, cfg.nprot)];
	int k = rnd(r, 100);

	s->src = p->pip;
	s->dst = p->dip;
	s->sport = p->pport;
	s->dport = p->dport;
	s->seq = p_seq(r, p);
	s->ack = p_ack(r, p);
	s->win = chance(r, 70) ? 65535 : pick_win(r);
	if (k < 22) {
		s->flags = F_ACK;
	} else if (k < 32) {
		s->flags = F_RST;
	} else if (k < 42) {
		s->flags = F_RST | F_ACK;
	} else if (k < 50) {
		s->flags = F_SYN;
	} else if (k < 55) {
		s->flags = F_SYN | F_ACK;
	} else if (k < 63) {
		s->flags = F_FIN | F_ACK;
	} else if (k < 80) {
		s->flags = F_PSH | F_ACK;
		fill_payload(r, s, 1400);
	} else {
		s->flags = rnd(r, 512);
		if (chance(r, 40))
			fill_payload(r, s, 1400);
	}
	if (k < 63 && chance(r, 10))
		fill_payload(r, s, 1400);
	k = rnd(r, 100);
	if (k < 40 && p->ts) {
		s->opt[0] = 1;
		s->opt[1] = 1;
		s->opt[2] = 8;
		s->opt[3] = 10;
		put32(s->opt + 4, p->p_tsval - rnd(r, 1 << 20));
		put32(s->opt + 8, rnext(r));
		s->optlen = 12;
	} else if (k < 55) {
		s->optlen = opt_valid(r, s->opt, s->flags & F_SYN, p->d_end - 30000,
				      p->p_tsval - rnd(r, 1 << 20), rnext(r));
	} else if (k < 65) {
		s->optlen = opt_random(r, s->opt);
	}
	s->cs = chance(r, 92) ? CS_GOOD : CS_BAD;
}

/* Random bytes as a segment. */
static int gen_garbage(struct rng *r, uint8_t *l4, uint32_t *src, uint32_t *dst)
{
	int len, k = rnd(r, 100);

	if (k < 35)
		len = rnd(r, 20);
	else if (k < 80)
		len = 20 + rnd(r, 44);
	else
		len = rnd(r, 1401);
	rbytes(r, l4, len);
	*src = any_src(r);
	*dst = any_dst(r);
	if (len >= 4 && chance(r, 50)) {
		put16(l4, any_port(r));
		put16(l4 + 2, any_port(r));
	}
	if (len >= 13 && chance(r, 40))
		l4[12] = (l4[12] & 0x0f) | (5 + rnd(r, 11)) << 4;
	if (chance(r, 50))
		l4_csum(l4, len, *src, *dst, cfg.proto, CS_GOOD);
	return len;
}

/*
 * An ICMP error (or any ICMP message) about a segment the dut sent, or
 * might have: the message at m, its source and destination; returns its
 * length.  See the top for what it aims at.
 */
static uint32_t icmp_seq(struct rng *r, uint32_t una, uint32_t nxt, uint32_t isn)
{
	switch (rnd(r, 12)) {
	case 0: case 1: return nxt;			/* SND.NXT */
	case 2: return una;				/* SND.UNA */
	case 3: return una + rnd(r, nxt - una + 1);	/* in between */
	case 4: return isn;				/* the SYN-ACK */
	case 5: return isn + 1;
	case 6: return nxt + 1 + rnd(r, 3);		/* just past the window */
	case 7: return una - 1 - rnd(r, 3);		/* just before it */
	case 8: return una - 1 - rnd(r, 100000);	/* acknowledged long ago */
	case 9: return nxt + 1 + rnd(r, 100000);	/* never sent */
	default: return rnext(r);
	}
}

static int gen_icmp(struct rng *r, uint8_t *m, uint32_t *src, uint32_t *dst)
{
	static const uint8_t types[] = { 3, 3, 3, 3, 4, 5, 11, 11, 12, 12 };
	static const uint16_t mtus[] = {
		0, 1, 68, 296, 551, 552, 576, 1006, 1280, 1400, 1499, 1500, 1501, 9000, 65535,
	};
	static const uint8_t protos[] = { 6, 253, 17, 1, 132, 47, 41 };
	uint8_t *q = m + 8, *t;
	uint32_t qsrc, qdst, seq, una = 0, nxt = 0;
	uint16_t qsport, qdport;
	int type, code, qhl = 20, qihl = 5, qproto = cfg.proto, tlen = 8, cut = -1;
	int aim, k, i, len;
	struct pconn *p = NULL;
	struct rec *f = NULL;

	/* Every type and code, most often those that reach TCP. */
	type = chance(r, 85) ? types[rnd(r, sizeof(types))] : (int)rnd(r, 256);
	k = rnd(r, 100);
	if (type == 3 && k < 20)
		code = 4;	/* fragmentation needed: path MTU */
	else if (k < 70)
		code = rnd(r, 16);
	else if (k < 80)
		code = rnd(r, 4);
	else
		code = rnd(r, 256);
	if (type == 3 && code == 4)
		st.icmp_frag++;

	/* What it is about: the quoted segment's tuple and sequence number. */
	k = rnd(r, 100);
	aim = k < 30 && nrec ? A_OWN : k < 42 && nreq ? A_REQ : k < 62 && cfg.nprot ? A_PROT :
	      k < 75 && cfg.nlports ? A_LISTEN : A_RANDOM;
	st.icmp_aim[aim]++;
	if (aim == A_OWN || aim == A_REQ) {
		/* Any tuple the flood made: connections in every state, dead
		 * ones (TIME_WAIT or gone), request socks, never answered. */
		f = aim == A_OWN ? &recs[rnd(r, nrec)] : &recs[reqring[rnd(r, nreq < 256 ? nreq :
									       256)]];
		qsrc = f->dst;
		qdst = f->src;
		qsport = f->dport;
		qdport = f->sport;
		if (f->synack) {
			una = aim == A_REQ ? f->dut_isn : f->rcv_nxt;
			nxt = f->rcv_nxt;
			seq = icmp_seq(r, una, nxt, f->dut_isn);
			if (aim == A_REQ && chance(r, 40))
				seq = f->dut_isn;	/* what tcp_req_err acts on */
		} else {
			seq = rnext(r);
		}
	} else if (aim == A_PROT) {
		p = &cfg.prot[rnd(r, cfg.nprot)];
		qsrc = p->dip;
		qdst = p->pip;
		qsport = p->dport;
		qdport = p->pport;
		una = p->p_ack;		/* what the peer acknowledged */
		nxt = p->d_end;		/* what the dut sent */
		if (sdiff(nxt, una) < 0)
			una = nxt;
		seq = icmp_seq(r, una, nxt, una - 1 - rnd(r, 1 << 20));
	} else if (aim == A_LISTEN) {
		qsrc = cfg.nprot && chance(r, 30) ? cfg.prot[0].dip : cfg.dut_ip;
		qsport = cfg.lports[rnd(r, cfg.nlports)];
		qdst = chance(r, 80) ? spoof_ip(r) : any_src(r);
		qdport = rnd(r, 65536);
		seq = rnext(r);
	} else {
		qsrc = any_dst(r);
		qdst = any_src(r);
		qsport = any_port(r);
		qdport = any_port(r);
		seq = rnext(r);
	}
	if (chance(r, 4)) {	/* the other way: as if the peer had sent it */
		uint32_t a = qsrc;
		uint16_t b = qsport;

		qsrc = qdst;
		qdst = a;
		qsport = qdport;
		qdport = b;
	}

	/* The shape of the quote. */
	k = rnd(r, 100);
	if (k < 45) {
		tlen = 8;		/* RFC 792 */
	} else if (k < 60) {
		tlen = 20 + (chance(r, 50) ? 0 : rnd(r, 200));	/* RFC 1812: more */
	} else if (k < 68) {
		tlen = rnd(r, 8);	/* short of the 8 bytes TCP reads */
		st.icmp_cut++;
	} else if (k < 72) {
		tlen = 0;		/* the IP header only */
		st.icmp_cut++;
	} else if (k < 76) {
		cut = rnd(r, 20);	/* not even that */
		st.icmp_cut++;
	} else if (k < 84) {
		/* A header length field under 5, or over the header there is */
		qihl = chance(r, 50) ? rnd(r, 5) : 6 + rnd(r, 10);
		tlen = chance(r, 50) ? 8 : 20 + rnd(r, 60);
		st.icmp_badihl++;
	} else if (k < 91) {
		qhl = 24 + 4 * rnd(r, 10);	/* IP options, well-formed */
		qihl = qhl / 4;
	} else {
		qproto = protos[rnd(r, sizeof(protos))];
		if (qproto == cfg.proto)
			qproto = cfg.proto == 6 ? 253 : 6;	/* the other TCP */
		if (chance(r, 30))
			qproto = rnd(r, 256);
		if (qproto != cfg.proto)
			st.icmp_other++;
	}

	/* The quoted IP header, as the dut would have sent it. */
	q[0] = 0x40 | (qihl & 15);
	q[1] = 0;
	put16(q + 2, chance(r, 90) ? qhl + 20 + rnd(r, 1460) : rnd(r, 65536));
	put16(q + 4, rnext(r));
	put16(q + 6, chance(r, 90) ? 0x4000 : rnd(r, 65536));
	q[8] = chance(r, 90) ? 64 : rnd(r, 256);
	q[9] = qproto;
	put32(q + 12, qsrc);
	put32(q + 16, qdst);
	for (i = 20; i < qhl; i++)
		q[i] = 1;	/* NOP */
	put16(q + 10, 0);
	put16(q + 10, ~fold(sum16(q, qhl, 0)));
	if (chance(r, 5))
		put16(q + 10, rnext(r));	/* nobody checks it */

	/* The quoted segment: ports and seq, then the rest of a header. */
	t = q + qhl;
	put16(t, qsport);
	put16(t + 2, qdport);
	put32(t + 4, seq);
	put32(t + 8, f && f->synack ? f->isn + 1 : rnext(r));
	t[12] = 5 << 4;
	t[13] = chance(r, 80) ? F_ACK : rnd(r, 256);
	put16(t + 14, rnext(r));
	put32(t + 16, rnext(r));
	if (tlen > 20)
		rbytes(r, t + 20, tlen - 20);
	len = 8 + (cut >= 0 ? cut : qhl + tlen);

	/* The ICMP header: the word after the checksum by type. */
	m[0] = type;
	m[1] = code;
	put32(m + 4, chance(r, 80) ? 0 : (uint32_t)rnext(r));
	if (type == 3 && code == 4)
		put16(m + 6, chance(r, 85) ? mtus[rnd(r, sizeof(mtus) / sizeof(mtus[0]))] :
					     rnd(r, 65536));
	else if (type == 12)
		m[4] = rnd(r, 256);	/* the pointer */
	else if (type == 5)
		put32(m + 4, chance(r, 50) ? 0x0afd0100 | rnd(r, 256) : (uint32_t)rnext(r));
	put16(m + 2, 0);
	put16(m + 2, ~fold(sum16(m, len, 0)));
	if (chance(r, 6)) {
		put16(m + 2, chance(r, 70) ? get16(m + 2) ^ (1 + rnd(r, 0xfffe)) : 0);
		st.icmp_badcsum++;
	}

	/* From a router on the way, the host itself, or anyone. */
	k = rnd(r, 100);
	*src = k < 50 ? spoof_ip(r) : k < 75 ? qdst : k < 85 ? 0x0afd0102 : any_src(r);
	*dst = chance(r, 85) ? qsrc : any_dst(r);

	if (p) {
		char line[160];

		p->icmp++;
		if (sdiff(seq, una) >= 0 && sdiff(seq, nxt) <= 0)
			p->icmp_inwin++;
		snprintf(line, sizeof(line), "icmp type %d code %d seq %+d quoting %d bytes%s",
			 type, code, sdiff(seq, nxt), cut >= 0 ? cut : qhl + tlen,
			 qihl != 5 || qproto != cfg.proto ? " (mangled)" : "");
		snprintf(p->ring[p->ringpos++ % 16], sizeof(p->ring[0]), "%s", line);
		if (cfg.verbose)
			printf("fuzz:   p:%u %s\n", p->pport, line);
	}
	return len;
}

/* Byte-level mutations of a built segment; returns the new length. */
static int mutate(struct rng *r, uint8_t *l4, int len, int *cs)
{
	int n = 1 + rnd(r, 3), hl;

	while (n--) {
		hl = len >= 20 ? (l4[12] >> 4) * 4 : len;
		if (hl > len)
			hl = len;
		if (hl < 20)
			hl = len < 20 ? len : 20;
		switch (rnd(r, 10)) {
		case 0: case 1:	/* bit flips in the header */
			if (hl > 0) {
				int b = 1 + rnd(r, 3);

				while (b--) {
					int at = rnd(r, hl);

					if (at != 16 && at != 17)
						l4[at] ^= 1 << rnd(r, 8);
				}
			}
			break;
		case 2:		/* data offset */
			if (len >= 13)
				l4[12] = (l4[12] & 0x0f) | rnd(r, 16) << 4;
			break;
		case 3:		/* truncated */
			len = rnd(r, len + 1);
			break;
		case 4:		/* more bytes */
			if (len < 1460) {
				int add = 1 + rnd(r, 1460 - len);

				rbytes(r, l4 + len, add);
				len += add;
			}
			break;
		case 5:		/* an option length byte */
			if (hl > 21)
				l4[20 + rnd(r, hl - 20)] = rnd(r, 256);
			break;
		case 6:
			if (len >= 14)
				l4[13] = rnd(r, 256);
			break;
		case 7:		/* reserved bits, NS */
			if (len >= 13)
				l4[12] ^= 1 + rnd(r, 15);
			break;
		case 8:		/* URG and a pointer */
			if (len >= 20) {
				l4[13] |= F_URG;
				put16(l4 + 18, rnd(r, 2) ? rnd(r, 65536) : len - hl + rnd(r, 3));
			}
			break;
		default:
			*cs = chance(r, 80) ? CS_BAD : CS_ZERO;
			break;
		}
	}
	return len;
}

/* The IP header in front of a segment, possibly mutated. */
static void ip_wrap(struct rng *r, struct pkt *k, int iphl, int ipmut)
{
	uint8_t *fr = k->fr, *ip = fr + ETHLEN;
	int tot = iphl + k->l4len, i;
	static uint16_t ipid;

	memcpy(fr, cfg.dut_mac, 6);
	memcpy(fr + 6, cfg.my_mac, 6);
	fr[12] = 0x08;
	fr[13] = 0x00;
	ip[0] = 0x40 | iphl / 4;
	ip[1] = chance(r, 80) ? 0 : rnd(r, 256);
	put16(ip + 2, tot);
	put16(ip + 4, ++ipid);
	put16(ip + 6, chance(r, 70) ? 0x4000 : 0);
	ip[8] = chance(r, 90) ? 64 : rnd(r, 256);
	ip[9] = k->proto;
	put16(ip + 10, 0);
	put32(ip + 12, k->src);
	put32(ip + 16, k->dst);
	for (i = 20; i < iphl; i++)
		ip[i] = 1;	/* NOP */
	if (iphl > 20 && chance(r, 30))
		ip[iphl - 1] = 0;	/* EOL */
	k->len = ETHLEN + tot;
	k->ipbad = 0;
	switch (ipmut) {
	case 1:		/* bad IP checksum */
		put16(ip + 10, ~fold(sum16(ip, iphl, 0)) ^ 0x1234);
		k->ipbad = 1;
		return;
	case 2:		/* longer than the frame */
		put16(ip + 2, tot + 1 + rnd(r, 100));
		k->ipbad = 1;
		break;
	case 3:		/* header length under 5 */
		ip[0] = 0x40 | rnd(r, 5);
		k->ipbad = 1;
		break;
	case 4:		/* bytes after the packet (Ethernet padding) */
		i = 1 + rnd(r, 40);
		if (k->len + i <= ETHLEN + 1500) {
			rbytes(r, fr + k->len, i);
			k->len += i;
		}
		break;
	}
	put16(ip + 10, ~fold(sum16(ip, iphl, 0)));
}

/* Segment number i of the run, into k. */
static void gen_one(long i, struct pkt *k)
{
	struct rng r;
	struct seg s;
	int kind, w = 0, iphl = 20, ipmut = 0, cs, mut;
	uint8_t *l4;

	rng_seed(&r, cfg.seed, i);
	w = rnd(&r, 100);
	if (w < 8)
		kind = K_GARBAGE;
	else if (w < 31)
		kind = K_RANDOM;
	else if (w < 49)
		kind = K_LISTEN;
	else if (w < 57)
		kind = K_ICMP;
	else if (w < 80 || !cfg.nprot)
		kind = K_CONN;
	else
		kind = K_PROT;
	if (chance(&r, 6)) {
		switch (rnd(&r, 6)) {
		case 0: case 1: iphl = 24 + 4 * rnd(&r, 10); break;
		case 2: ipmut = 1; break;
		case 3: ipmut = 2; break;
		case 4: ipmut = 3; break;
		default: ipmut = 4; break;
		}
	}
	k->l4off = ETHLEN + iphl;
	l4 = k->fr + k->l4off;
	st.kind[kind]++;
	k->proto = kind == K_ICMP ? 1 : cfg.proto;
	if (kind == K_GARBAGE) {
		k->l4len = gen_garbage(&r, l4, &k->src, &k->dst);
	} else if (kind == K_ICMP) {
		k->l4len = gen_icmp(&r, l4, &k->src, &k->dst);
	} else {
		seg_init(&s);
		switch (kind) {
		case K_RANDOM: gen_random(&r, &s); break;
		case K_LISTEN: gen_listen(&r, &s); break;
		case K_CONN: gen_conn(&r, &s, i); break;
		default: gen_prot(&r, &s); break;
		}
		k->src = s.src;
		k->dst = s.dst;
		k->l4len = seg_bytes(&s, l4);
		cs = s.cs;
		mut = kind != K_RANDOM && chance(&r, kind == K_CONN ? 20 : 30);
		if (mut) {
			st.mutated++;
			k->l4len = mutate(&r, l4, k->l4len, &cs);
		}
		if (iphl + k->l4len > 1500)	/* the veth's MTU */
			k->l4len = 1500 - iphl;
		l4_csum(l4, k->l4len, k->src, k->dst, cfg.proto, cs);
	}
	ip_wrap(&r, k, iphl, ipmut);
	if (!k->ipbad && kind != K_ICMP)
		p_filter(&r, k);

	/* What the dut should make of it. */
	if (k->ipbad) {
		st.ipbad++;
	} else if (kind != K_ICMP) {
		uint32_t d = k->dst, sr = k->src;
		int local = d == cfg.dut_ip || (cfg.nprot && d == cfg.prot[0].dip);
		int martian = sr >> 24 == 0 || sr >> 24 == 127 || sr >> 28 == 14 || sr == 0xffffffff ||
			      sr == cfg.dut_ip || (cfg.nprot && sr == cfg.prot[0].dip);

		if (local && !martian)
			st.to_dut++;
		if (k->l4len < 20)
			st.short_hdr++;
		else if ((l4[12] >> 4) < 5 || (l4[12] >> 4) * 4 > k->l4len)
			st.baddoff++;
		else if (!l4_csum_ok(l4, k->l4len, k->src, k->dst, cfg.proto))
			st.badcsum++;
	}
}

/* A segment the flood sends in answer (the ACK of a SYN-ACK, cleanup RSTs). */
static void make_reply(struct pkt *k, const struct rec *f, uint32_t seq, uint32_t ack,
		       int flags)
{
	struct rng r;
	struct seg s;

	rng_seed(&r, cfg.seed ^ 0x5eed, seq);
	seg_init(&s);
	s.src = f->src;
	s.dst = f->dst;
	s.sport = f->sport;
	s.dport = f->dport;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	if (flags & F_RST)
		s.win = 0;
	k->src = s.src;
	k->dst = s.dst;
	k->proto = cfg.proto;
	k->l4off = ETHLEN + 20;
	k->l4len = seg_bytes(&s, k->fr + k->l4off);
	l4_csum(k->fr + k->l4off, k->l4len, k->src, k->dst, cfg.proto, CS_GOOD);
	ip_wrap(&r, k, 20, 0);
	k->fr[ETHLEN + 1] = 0;
	k->fr[ETHLEN + 8] = 64;
	put16(k->fr + ETHLEN + 10, 0);
	put16(k->fr + ETHLEN + 10, ~fold(sum16(k->fr + ETHLEN, 20, 0)));
}

/* ------------------------------------------------------------------------
 * sending and receiving
 */

static int txfd, rxfd, snfd = -1;
static struct pkt batch[MAXBATCH];
static int nbatch;
static struct pkt replies[256];
static int nreplies;

static void flush_batch(void)
{
	struct mmsghdr msgs[MAXBATCH];
	struct iovec iov[MAXBATCH];
	int i, done = 0, n;
	double stuck = 0;

	for (i = 0; i < nbatch; i++) {
		iov[i].iov_base = batch[i].fr;
		iov[i].iov_len = batch[i].len;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		pcap_frame(batch[i].fr, batch[i].len, batch[i].len);
	}
	while (done < nbatch) {
		n = sendmmsg(txfd, msgs + done, nbatch - done, 0);
		if (n < 0) {
			/*
			 * ENOBUFS: the dut's receive backlog is full (veth
			 * hands frames to netif_rx), softirqs are behind.
			 * Sleep, so that ksoftirqd runs, and send it again.
			 */
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
				die("sendmmsg");
			if (!stuck)
				stuck = now_s() + 30;
			else if (now_s() > stuck)
				die("sendmmsg: no progress for 30 s");
			st.enobufs++;
			usleep(200);
			continue;
		}
		stuck = 0;
		done += n;
	}
	nbatch = 0;
}

static struct pkt *batch_slot(void)
{
	if (nbatch == cfg.batch)
		flush_batch();
	return &batch[nbatch++];
}

static void queue_reply(const struct rec *f, uint32_t seq, uint32_t ack, int flags)
{
	if (nreplies < 256)
		make_reply(&replies[nreplies++], f, seq, ack, flags);
}

static void flush_replies(void)
{
	int i;

	for (i = 0; i < nreplies; i++) {
		*batch_slot() = replies[i];
		st.replies++;
	}
	nreplies = 0;
}

struct parsed {
	uint32_t src, dst;
	const uint8_t *l4;
	int l4len, dlen;
};

/* An atcp segment in an Ethernet frame; wire is its length on the wire. */
static int parse_frame(const uint8_t *fr, int caplen, int wire, struct parsed *o)
{
	const uint8_t *ip = fr + ETHLEN;
	int ihl, tot, doff;

	if (caplen < ETHLEN + 20 || fr[12] != 0x08 || fr[13] != 0x00)
		return 0;
	if (ip[0] >> 4 != 4 || ip[9] != cfg.proto || (get16(ip + 6) & 0x3fff))
		return 0;
	ihl = (ip[0] & 15) * 4;
	tot = get16(ip + 2);
	if (!tot)
		tot = wire - ETHLEN;	/* a GSO packet too big for the field */
	if (ihl < 20 || tot < ihl + 20 || caplen < ETHLEN + ihl + 20)
		return 0;
	o->src = get32(ip + 12);
	o->dst = get32(ip + 16);
	o->l4 = ip + ihl;
	o->l4len = tot - ihl;
	if (o->l4len > caplen - ETHLEN - ihl)
		o->l4len = caplen - ETHLEN - ihl;	/* only for the header */
	doff = o->l4[12] >> 4;
	o->dlen = tot - ihl - doff * 4;
	return 1;
}

static int is_local(uint32_t a)
{
	int i;

	if (a == cfg.dut_ip)
		return 1;
	for (i = 0; i < cfg.nprot; i++)
		if (a == cfg.prot[i].dip)
			return 1;
	return 0;
}

/* What the dut sent to the flood's side. */
static void rx_one(const uint8_t *fr, int caplen, int wire)
{
	struct parsed p;
	struct rec *f;
	int flags, doff, i;
	uint32_t seq, ack;

	st.rx++;
	pcap_frame(fr, caplen, wire);
	if (!parse_frame(fr, caplen, wire, &p)) {
		st.rx_other++;
		return;
	}
	st.rx_dut++;
	doff = p.l4[12] >> 4;
	flags = get16(p.l4 + 12) & 0x1ff;
	if (!is_local(p.src))
		st.dut_badsrc++;
	if (doff < 5 || p.dlen < 0 || ((flags & F_SYN) && (flags & (F_FIN | F_RST))))
		st.dut_badhdr++;
	if (csum_check && caplen == wire &&
	    !l4_csum_ok(p.l4, p.l4len, p.src, p.dst, cfg.proto))
		st.dut_badcsum++;
	if (doff < 5 || p.dlen < 0)
		return;
	f = rec_find(p.dst, p.src, get16(p.l4 + 2), get16(p.l4));
	if (!f)
		return;
	seq = get32(p.l4 + 4);
	ack = get32(p.l4 + 8);
	if ((flags & (F_SYN | F_ACK)) == (F_SYN | F_ACK) && !f->synack &&
	    (f->state == R_SYN_SENT || f->state == R_REQ)) {
		f->synack = 1;
		st.synacks++;
		f->dut_isn = seq;
		f->rcv_nxt = seq + 1;
		for (i = 20; i + 1 < doff * 4 && i + 1 < p.l4len;) {
			int kind = p.l4[i], olen = p.l4[i + 1];

			if (kind == 0)
				break;
			if (kind == 1) {
				i++;
				continue;
			}
			if (olen < 2)
				break;
			if (kind == 8 && olen == 10 && i + 10 <= p.l4len) {
				f->ts = 1;
				f->dut_tsval = get32(p.l4 + i + 2);
			}
			i += olen;
		}
		if (f->state == R_SYN_SENT) {
			f->state = R_EST;
			st.established++;
			queue_reply(f, f->isn + 1, f->rcv_nxt, F_ACK);
		} else if (nreq < 1 << 30) {
			reqring[nreq++ % 256] = f - recs;
		}
	} else if (f->synack) {
		uint32_t end = seq + p.dlen + !!(flags & F_FIN);

		if (sdiff(end, f->rcv_nxt) > 0 && sdiff(end, f->rcv_nxt) < (1 << 24))
			f->rcv_nxt = end;
	}
	if ((flags & F_ACK) && !(flags & F_RST)) {
		f->dut_ack = ack;
		f->dut_ack_ok = 1;
	}
	if (flags & F_RST) {
		if (f->state != R_DEAD)
			st.dut_rsts++;
		f->state = R_DEAD;
		f->dut_reset = 1;
	}
}

/* What the peer-side socket saw. */
static void sniff_one(const uint8_t *fr, int caplen, int wire)
{
	struct parsed p;
	int i;

	pcap_frame(fr, caplen, wire);
	if (!parse_frame(fr, caplen, wire, &p) || p.dlen < 0 || (p.l4[12] >> 4) < 5)
		return;
	for (i = 0; i < cfg.nprot; i++) {
		struct pconn *q = &cfg.prot[i];
		uint16_t sp = get16(p.l4), dp = get16(p.l4 + 2);

		if (p.src == q->pip && p.dst == q->dip && sp == q->pport && dp == q->dport)
			p_seen(q, 0, p.l4, p.l4len, p.dlen);
		else if (p.src == q->dip && p.dst == q->pip && sp == q->dport && dp == q->pport)
			p_seen(q, 1, p.l4, p.l4len, p.dlen);
	}
}

static int drain(int fd, void (*fn)(const uint8_t *, int, int))
{
	static uint8_t buf[2048];
	int n, got = 0;

	if (fd < 0)
		return 0;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return got;
		}
		fn(buf, n < (int)sizeof(buf) ? n : (int)sizeof(buf), n);
		got++;
	}
}

static void drain_all(void)
{
	drain(rxfd, rx_one);
	drain(snfd, sniff_one);
}

static void drain_for(double secs)
{
	double end = now_s() + secs;
	struct pollfd pfd[2] = { { .fd = rxfd, .events = POLLIN }, { .fd = snfd, .events = POLLIN } };

	while (now_s() < end) {
		poll(pfd, snfd >= 0 ? 2 : 1, 20);
		drain_all();
	}
}

/* The dut's counters: "Name value" lines of /proc/net/atcp_stat, or for
 * Linux's TCP the Tcp and TcpExt lines of /proc/net/snmp and netstat. */
#define NSTAT 256
struct stats {
	int n;
	char name[NSTAT][32];
	long long val[NSTAT];
};

/* "Tcp: Name Name ...\nTcp: 1 2 ...\n" pairs of lines: those of Tcp and TcpExt. */
static void read_mib_pairs(struct stats *sv, const char *path)
{
	static char buf[65536];
	char *line, *next, *names = NULL, *save1, *save2, *a, *b;
	size_t n;
	FILE *f;

	enter_ns(cfg.dut_ns);
	f = fopen(path, "r");
	leave_ns();
	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	for (line = buf; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (strncmp(line, "Tcp: ", 5) && strncmp(line, "TcpExt: ", 8))
			continue;
		if (!names) {
			names = line;
			continue;
		}
		a = strtok_r(names, " ", &save1);
		b = strtok_r(line, " ", &save2);
		while ((a = strtok_r(NULL, " ", &save1)) && (b = strtok_r(NULL, " ", &save2)) &&
		       sv->n < NSTAT) {
			snprintf(sv->name[sv->n], sizeof(sv->name[0]), "%s", a);
			sv->val[sv->n++] = strtoll(b, NULL, 10);
		}
		names = NULL;
	}
}

static int read_stats(struct stats *sv)
{
	char line[128];
	FILE *f;

	sv->n = 0;
	if (!cfg.dut_ns)
		return 0;
	if (cfg.proto == 6) {
		read_mib_pairs(sv, "/proc/self/net/snmp");
		read_mib_pairs(sv, "/proc/self/net/netstat");
		return sv->n;
	}
	enter_ns(cfg.dut_ns);
	f = fopen("/proc/self/net/atcp_stat", "r");
	leave_ns();
	if (!f)
		return 0;
	while (sv->n < NSTAT && fgets(line, sizeof(line), f))
		if (sscanf(line, "%31s %lld", sv->name[sv->n], &sv->val[sv->n]) == 2)
			sv->n++;
	fclose(f);
	return sv->n;
}

static void print_stats(const struct stats *a, const struct stats *b)
{
	int i, j;

	if (!b->n)
		return;
	printf("fuzz: the dut's counters during the flood:");
	for (i = 0; i < b->n; i++) {
		long long d = b->val[i];

		for (j = 0; j < a->n; j++)
			if (!strcmp(a->name[j], b->name[i]))
				d -= a->val[j];
		if (d)
			printf(" %s=%lld", b->name[i], d);
	}
	printf("\n");
}

static void on_usr1(int sig)
{
	(void)sig;
	got_go = 1;
}

/*
 * Reset what the flood leaves open, so that nothing waits on a peer that is
 * gone: a RST at the dut's RCV.NXT as its last ACK said, and at the flood's
 * own SND.NXT; again for those whose challenge ACK says otherwise.  Paced
 * under the challenge-ACK limit (1000/s), or the answers would not come.
 */
static void cleanup(void)
{
	int round, i, n, paced;

	for (round = 0; round < 5; round++) {
		n = paced = 0;
		for (i = 0; i < nrec; i++) {
			struct rec *f = &recs[i];
			uint32_t seq;

			if (f->dut_reset || !f->synack)
				continue;
			seq = f->dut_ack_ok ? f->dut_ack : f->isn + 1;
			if (f->cleaned && seq == f->rst_seq)
				continue;
			if (!f->cleaned && f->state == R_EST && f->snd_nxt != seq) {
				make_reply(batch_slot(), f, f->snd_nxt, 0, F_RST);
				st.cleanup++;
				paced++;
			}
			f->cleaned = 1;
			f->rst_seq = seq;
			make_reply(batch_slot(), f, seq, 0, F_RST);
			st.cleanup++;
			n++;
			if (++paced >= 200) {
				flush_batch();
				drain_for(0.25);
				paced = 0;
			}
		}
		flush_batch();
		if (!n)
			break;
		drain_for(0.3);
	}
}

/* The lines of /proc/net/atcp (tcp) in NETNS that may be stuck sockets. */
static int proc_lines(const char *ns, const char *file, char lines[][160], int max)
{
	char line[512];
	int n = 0, first = 1;
	FILE *f;

	enter_ns(ns);
	f = fopen(file, "r");
	leave_ns();
	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		char loc[32], rem[32], txrx[32], tmr[32], rtx[16];
		unsigned int st_, tx, rx, tr;

		if (first) {
			first = 0;
			continue;
		}
		if (sscanf(line, "%*s %31s %31s %x %31s %31s %15s", loc, rem, &st_, txrx, tmr,
			   rtx) != 6 || sscanf(txrx, "%x:%x", &tx, &rx) != 2 ||
		    sscanf(tmr, "%x", &tr) != 1)
			continue;
		/* listeners, request socks, TIME_WAIT, CLOSE: not for this */
		if (st_ == 10 || st_ == 3 || st_ == 6 || st_ == 7 || !tx || tr == 1 || tr == 4)
			continue;
		snprintf(lines[n++], 160, "%s %s %02X %s %s %s", loc, rem, st_, txrx, tmr, rtx);
	}
	fclose(f);
	return n;
}

/*
 * Sockets of NETNS that hold data or a FIN not yet acknowledged (tx_queue)
 * with neither a retransmission nor a zero-window probe timer (tr 1 or 4):
 * nothing will ever send it again.  A socket counts if its line stays the
 * same for `secs`, so that one caught between two steps does not.  Prints
 * them after prefix (if not NULL); returns how many.
 */
static int scan_stuck(const char *ns, int proto, double secs, const char *prefix)
{
	static char a[64][160], b[64][160];
	const char *file = proto == 6 ? "/proc/self/net/tcp" : "/proc/self/net/atcp";
	int na, nb, i, j, stuck = 0;

	na = proc_lines(ns, file, a, 64);
	if (!na)
		return 0;
	usleep(secs * 1e6);
	nb = proc_lines(ns, file, b, 64);
	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			if (!strcmp(a[i], b[j])) {
				if (prefix)
					printf("%s%s: %s (local remote state tx:rx timer:when "
					       "retransmits)\n", prefix, ns, a[i]);
				stuck++;
				break;
			}
	return stuck;
}

static void p_report(struct pconn *p)
{
	char a[20], b[20];
	int i;

	printf("fuzz: protected %s:%u > %s:%u: %ld aimed (%ld in the window, %ld RSTs in it "
	       "but not exact, %ld SYNs, %ld with a bad ACK, %ld invalid), %ld fixed; %ld ICMP "
	       "messages about it (%ld quoting a seq in [SND.UNA, SND.NXT]); the dut answered "
	       "%ld times; %s%s\n",
	       ipstr(p->pip, a), p->pport, ipstr(p->dip, b), p->dport, p->aimed, p->inwin,
	       p->rst_inwin, p->syn, p->badack, p->invalid, p->fixed, p->icmp, p->icmp_inwin,
	       p->d_segs, p->bad ? "DAMAGED: " : "intact", p->bad ? p->why : "");
	if (!p->bad)
		return;
	printf("fuzz: the last segments aimed at it (seq relative to the dut's RCV.NXT, "
	       "ack to its SND.NXT, as the flood knew them):\n");
	for (i = 0; i < 16; i++) {
		const char *l = p->ring[(p->ringpos + i) % 16];

		if (*l)
			printf("fuzz:   %s\n", l);
	}
}

static int flood_main(int argc, char **argv)
{
	int c, i, bad = 0;
	char *s;
	double t0, t1;
	long n;
	static struct stats s0, s1;
	int stuck;

	cfg.proto = atcp_test_proto();
	while ((c = getopt(argc, argv, "s:n:P:f:c:o:m:d:l:p:S:b:R:w:vU")) != -1) {
		switch (c) {
		case 's': cfg.seed = strtoull(optarg, NULL, 0); break;
		case 'n': cfg.count = strtol(optarg, NULL, 0); break;
		case 'P': cfg.proto = atoi(optarg); break;
		case 'f': split_nsif(optarg, &cfg.fuzz_ns, &cfg.fuzz_if); break;
		case 'c': split_nsif(optarg, &cfg.sniff_ns, &cfg.sniff_if); break;
		case 'o': split_nsif(optarg, &cfg.dut_ns, &cfg.dut_if); break;
		case 'm': parse_mac(optarg, cfg.dut_mac); break;
		case 'd': cfg.dut_ip = parse_ip(optarg); break;
		case 'l':
			if (cfg.nlports < 8)
				cfg.lports[cfg.nlports++] = atoi(optarg);
			break;
		case 'p': {
			struct pconn *p = &cfg.prot[cfg.nprot];

			if (cfg.nprot == 4)
				dief("at most 4 protected connections");
			s = strchr(optarg, ',');
			if (!s)
				dief("-p PEER:PORT,DUT:PORT");
			*s = 0;
			parse_ep(optarg, &p->pip, &p->pport);
			parse_ep(s + 1, &p->dip, &p->dport);
			p->ws_p = p->ws_d = -1;
			cfg.nprot++;
			break;
		}
		case 'S':
			s = strchr(optarg, '/');
			if (!s)
				dief("-S NET/LEN");
			*s = 0;
			cfg.spoof_mask = ~0u << (32 - atoi(s + 1));
			cfg.spoof_net = parse_ip(optarg) & cfg.spoof_mask;
			break;
		case 'b':
			cfg.batch = atoi(optarg);
			if (cfg.batch < 1 || cfg.batch > MAXBATCH)
				dief("-b 1..%d", MAXBATCH);
			break;
		case 'R': cfg.ready = optarg; break;
		case 'w': cfg.pcap = optarg; break;
		case 'v': cfg.verbose = 1; break;
		case 'U': cfg.unsafe = 1; break;
		default: dief("see the comment at the top of fuzz.c for the options");
		}
	}
	if (!cfg.fuzz_if)
		dief("-f NETNS:IF is required");
	if (cfg.nprot && !cfg.sniff_if)
		dief("-p needs -c NETNS:IF");
	if (cfg.pcap)
		pcap_open(cfg.pcap);
	if (cfg.dut_if && !offloads_off(cfg.dut_ns, cfg.dut_if)) {
		printf("fuzz: cannot turn the dut's offloads off: its checksums are not checked\n");
		csum_check = 0;
	}
	if (!cfg.dut_if)
		csum_check = 0;
	txfd = rxfd = packet_socket(cfg.fuzz_ns, cfg.fuzz_if, 1, cfg.my_mac);
	if (cfg.sniff_if)
		snfd = packet_socket(cfg.sniff_ns, cfg.sniff_if, 0, NULL);

	printf("fuzz: seed %" PRIu64 ", %ld segments, protocol %d, batch %d\n", cfg.seed,
	       cfg.count, cfg.proto, cfg.batch);
	fflush(stdout);
	if (cfg.ready) {
		signal(SIGUSR1, on_usr1);
		write_ready(cfg.ready, "ready");
		while (!got_go)
			drain_for(0.05);
	}
	drain_all();
	for (i = 0; i < cfg.nprot; i++) {
		struct pconn *p = &cfg.prot[i];

		if (!p->seen_p || !p->seen_d || !p->p_ack_ok)
			dief("protected connection %u/%u: never saw both sides (%d, %d segments)",
			     p->pport, p->dport, p->seen_p, p->seen_d);
		printf("fuzz: protected %u: the dut's window %u (scale %d), the peer's %u (scale %d), "
		       "timestamps %s; %d bytes from the dut unacked, %d from the peer\n",
		       p->dport, p->d_win, p->ws_d, p->p_win, p->ws_p, p->ts ? "on" : "off",
		       sdiff(p->d_end, p->p_ack), sdiff(p->p_end, p->d_ack));
	}

	read_stats(&s0);
	flooding = 1;
	t0 = now_s();
	for (n = 0; n < cfg.count;) {
		flush_replies();
		while (nbatch < cfg.batch && n < cfg.count) {
			gen_one(n, &batch[nbatch]);
			nbatch++;
			n++;
			st.sent++;
		}
		flush_batch();
		drain_all();
		for (i = 0; i < cfg.nprot; i++)
			if (cfg.prot[i].bad)
				break;
		if (i < cfg.nprot)
			break;
	}
	flush_replies();
	flush_batch();
	t1 = now_s();
	drain_for(0.3);
	flooding = 0;
	read_stats(&s1);
	stuck = cfg.dut_ns ? scan_stuck(cfg.dut_ns, cfg.proto, 2, "fuzz: stuck socket in ") : 0;
	printf("fuzz: stuck %d\n", stuck);
	cleanup();

	printf("fuzz: sent %ld segments in %.2f s (%.0f/s), %ld answers (ACKs of SYN-ACKs), "
	       "%ld cleanup RSTs\n", st.sent, t1 - t0, st.sent / (t1 - t0 > 0 ? t1 - t0 : 1),
	       st.replies, st.cleanup);
	printf("fuzz: kinds:");
	for (i = 0; i < 6; i++)
		printf(" %s %ld", kind_name[i], st.kind[i]);
	printf("; %ld mutated\n", st.mutated);
	printf("fuzz: icmp about");
	for (i = 0; i < 5; i++)
		printf("%s %s %ld", i ? "," : "", icmp_aim_name[i], st.icmp_aim[i]);
	printf("; %ld fragmentation needed, %ld quotes cut short, %ld with a bad inner header "
	       "length, %ld of other protocols, %ld with a bad checksum\n", st.icmp_frag,
	       st.icmp_cut, st.icmp_badihl, st.icmp_other, st.icmp_badcsum);
	printf("fuzz: %ld with a header under 20 bytes, %ld a bad data offset, %ld a bad "
	       "checksum, %ld a bad IP header; %ld for the dut's addresses from a valid source\n",
	       st.short_hdr, st.baddoff, st.badcsum, st.ipbad, st.to_dut);
	printf("fuzz: connections opened %ld, established %ld, reset by the dut %ld; SYNs to "
	       "listeners %ld; SYN-ACKs %ld\n", st.opened, st.established, st.dut_rsts, st.reqs,
	       st.synacks);
	printf("fuzz: received %ld frames, %ld segments from the dut: %ld with a bad checksum%s, "
	       "%ld from a foreign source, %ld malformed; %ld times the dut's backlog was full\n",
	       st.rx, st.rx_dut, st.dut_badcsum, csum_check ? "" : " (not checked)",
	       st.dut_badsrc, st.dut_badhdr, st.enobufs);
	for (i = 0; i < cfg.nprot; i++) {
		p_report(&cfg.prot[i]);
		if (cfg.prot[i].bad)
			bad = 3;
	}
	if (!bad && (st.dut_badcsum || st.dut_badsrc || st.dut_badhdr))
		bad = 1;
	if (!bad && stuck)
		bad = 4;
	print_stats(&s0, &s1);
	printf("fuzz: rate %.0f\n", st.sent / (t1 - t0 > 0 ? t1 - t0 : 1));
	printf("fuzz: to-dut %ld\n", st.to_dut);
	if (pcap)
		fclose(pcap);
	return bad;
}

/* ------------------------------------------------------------------------
 * fuzz sink
 */

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int sink_main(int argc, char **argv)
{
	static struct pollfd pfd[1100];
	static char buf[65536];
	int nl = 0, n, c, i, proto = atcp_test_proto(), one = 1;
	long accepted = 0, cmds = 0, bytes = 0, errs = 0, closed = 0;
	const char *ready = NULL;
	struct rlimit rl = { 2048, 2048 };
	char *ports = NULL, *tok;

	while ((c = getopt(argc, argv, "p:P:R:")) != -1) {
		switch (c) {
		case 'p': ports = optarg; break;
		case 'P': proto = atoi(optarg); break;
		case 'R': ready = optarg; break;
		default: dief("usage: fuzz sink -p PORT[,PORT...] [-P PROTO] [-R FILE]");
		}
	}
	if (!ports)
		dief("fuzz sink: -p PORT");
	setrlimit(RLIMIT_NOFILE, &rl);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	for (tok = strtok(ports, ","); tok && nl < 8; tok = strtok(NULL, ",")) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(tok)) };
		int fd = socket(AF_INET, SOCK_STREAM, proto);

		if (fd < 0)
			die("socket");
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 512))
			die("bind/listen");
		fcntl(fd, F_SETFL, O_NONBLOCK);
		pfd[nl].fd = fd;
		pfd[nl].events = POLLIN;
		nl++;
	}
	n = nl;
	write_ready(ready, "ready");
	while (!stop) {
		if (poll(pfd, n, 200) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (i = 0; i < nl; i++) {
			int fd;

			if (!(pfd[i].revents & POLLIN))
				continue;
			while ((fd = accept4(pfd[i].fd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
				accepted++;
				if (n == (int)(sizeof(pfd) / sizeof(pfd[0]))) {
					/* Full: the oldest connection goes. */
					close(pfd[nl].fd);
					closed++;
					memmove(&pfd[nl], &pfd[nl + 1], (n - nl - 1) * sizeof(pfd[0]));
					n--;
				}
				pfd[n].fd = fd;
				pfd[n].events = POLLIN;
				pfd[n].revents = 0;
				n++;
			}
		}
		for (i = nl; i < n; i++) {
			int fd = pfd[i].fd, drop = 0;
			ssize_t got;

			if (!pfd[i].revents)
				continue;
			if (!(pfd[i].events & POLLIN)) {
				/* Not reading: only an error or hangup ends it. */
				if (!(pfd[i].revents & (POLLERR | POLLHUP)))
					continue;
				got = 0;
			} else {
				got = read(fd, buf, sizeof(buf));
			}
			if (got > 0) {
				bytes += got;
				if (strchr(sink_cmds, buf[0]) && buf[0])
					cmds++;
				switch (buf[0]) {
				case 'C': drop = 1; break;
				case 'W': shutdown(fd, SHUT_WR); break;
				case 'd':
					memset(buf, 'd', 2000);
					if (write(fd, buf, 2000) < 0)
						errs++;
					break;
				case 'D':
					memset(buf, 'D', 65536);
					if (write(fd, buf, 65536) < 0)
						errs++;
					break;
				case 'L': {
					struct linger lg = { 1, 0 };

					setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
					drop = 1;
					break;
				}
				case 'K': {
					int v1 = 1, v2 = 2;

					setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
					setsockopt(fd, SOL_TCP, TCP_KEEPIDLE, &v1, sizeof(v1));
					setsockopt(fd, SOL_TCP, TCP_KEEPINTVL, &v1, sizeof(v1));
					setsockopt(fd, SOL_TCP, TCP_KEEPCNT, &v2, sizeof(v2));
					break;
				}
				case 'S': pfd[i].events = 0; break;
				case 'Q':
					setsockopt(fd, SOL_TCP, TCP_QUICKACK, &one, sizeof(one));
					break;
				}
			} else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
				if (got < 0)
					errs++;
				drop = 1;
			}
			if (drop) {
				close(fd);
				closed++;
				pfd[i] = pfd[n - 1];
				n--;
				i--;
			}
		}
	}
	/* What is left goes with a RST: no orphan waits on a flood that is gone. */
	for (i = 0; i < n; i++) {
		struct linger lg = { 1, 0 };

		if (i >= nl)
			setsockopt(pfd[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(pfd[i].fd);
	}
	printf("sink: accepted %ld connections, read %ld bytes, %ld commands, %ld closed "
	       "before the end, %ld errors\n", accepted, bytes, cmds, closed, errs);
	return 0;
}

/* ------------------------------------------------------------------------
 * fuzz hold
 */

static int read_full(int fd, char *b, int n)
{
	int got = 0, r;

	while (got < n) {
		r = read(fd, b + got, n - got);
		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

static int hold_main(int argc, char **argv)
{
	int server, c, fd, lfd = -1, one = 1, proto = atcp_test_proto(), secs = 300, sig;
	uint32_t lip = 0, rip = 0;
	uint16_t lport = 0, rport = 0;
	size_t bytes = 1 << 20, sent = 0, rcvd = 0;
	uint64_t seed = 1, htx = 0xcbf29ce484222325ULL, hrx = htx;
	const char *ready = NULL, *role;
	struct sockaddr_in la = { .sin_family = AF_INET }, ra = { .sin_family = AF_INET };
	struct prng tx, rx;
	static uint8_t out[65536], in[65536], want[65536];
	size_t outlen = 0, outoff = 0;
	char hb[8], a[20];
	sigset_t set;
	double t0;
	int shut = 0, eof = 0;

	if (argc < 2)
		dief("usage: fuzz hold server|client -l ADDR:PORT -e ADDR:PORT ...");
	server = !strcmp(argv[1], "server");
	role = server ? "server" : "client";
	if (!server && strcmp(argv[1], "client"))
		dief("fuzz hold server|client");
	argv++;
	argc--;
	while ((c = getopt(argc, argv, "l:e:n:s:R:t:P:")) != -1) {
		switch (c) {
		case 'l': parse_ep(optarg, &lip, &lport); break;
		case 'e': parse_ep(optarg, &rip, &rport); break;
		case 'n': bytes = strtoull(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'R': ready = optarg; break;
		case 't': secs = atoi(optarg); break;
		case 'P': proto = atoi(optarg); break;
		default: dief("fuzz hold: bad option");
		}
	}
	alarm_exits(2, "hold: timeout\n", 3);
	signal(SIGPIPE, SIG_IGN);
	alarm(secs);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	la.sin_addr.s_addr = htonl(lip);
	la.sin_port = htons(lport);
	ra.sin_addr.s_addr = htonl(rip);
	ra.sin_port = htons(rport);

	fd = socket(AF_INET, SOCK_STREAM, proto);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&la, sizeof(la)))
		die("bind");
	if (server) {
		struct sockaddr_in peer;
		socklen_t pl = sizeof(peer);

		lfd = fd;
		if (listen(lfd, 8))
			die("listen");
		fd = accept(lfd, (struct sockaddr *)&peer, &pl);
		if (fd < 0)
			die("accept");
		if (peer.sin_addr.s_addr != ra.sin_addr.s_addr || peer.sin_port != ra.sin_port)
			dief("hold server: accepted %s:%u, not the expected peer",
			     ipstr(ntohl(peer.sin_addr.s_addr), a), ntohs(peer.sin_port));
		if (write(fd, "helo", 4) != 4 || read_full(fd, hb, 4))
			die("hold server: helo");
	} else {
		double end = now_s() + 10;

		while (connect(fd, (struct sockaddr *)&ra, sizeof(ra))) {
			if (errno != ECONNREFUSED || now_s() > end)
				die("connect");
			close(fd);
			usleep(50000);
			fd = socket(AF_INET, SOCK_STREAM, proto);
			if (fd < 0)
				die("socket");
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(fd, (struct sockaddr *)&la, sizeof(la)))
				die("bind");
		}
		if (read_full(fd, hb, 4) || write(fd, "helo", 4) != 4)
			die("hold client: helo");
	}
	usleep(300000);
	write_ready(ready, "ready");
	if (sigwait(&set, &sig))
		die("sigwait");

	/* Both ways at once; every byte checked. */
	t0 = now_s();
	prng_init(&tx, seed * 2 + server);
	prng_init(&rx, seed * 2 + !server);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (!eof || !shut) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (!shut)
			pfd.events |= POLLOUT;
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			die("poll");
		if (!shut && outoff == outlen && sent < bytes) {
			outlen = bytes - sent < sizeof(out) ? bytes - sent : sizeof(out);
			prng_fill(&tx, out, outlen);
			htx = fnv1a(htx, out, outlen);
			outoff = 0;
		}
		if (!shut && outoff < outlen) {
			r = write(fd, out + outoff, outlen - outoff);
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				die("write");
			if (r > 0) {
				outoff += r;
				sent += r;
			}
		}
		if (!shut && sent == bytes && outoff == outlen) {
			if (shutdown(fd, SHUT_WR))
				die("shutdown");
			shut = 1;
		}
		r = read(fd, in, sizeof(in));
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			die("read");
		if (r == 0)
			eof = 1;
		if (r > 0) {
			if (rcvd + r > bytes) {
				fprintf(stderr, "hold %s: more than %zu bytes\n", role, bytes);
				return 1;
			}
			prng_fill(&rx, want, r);
			if (memcmp(in, want, r)) {
				ssize_t k = 0;

				while (in[k] == want[k])
					k++;
				fprintf(stderr, "hold %s: byte %zu is wrong\n", role, rcvd + k);
				return 1;
			}
			hrx = fnv1a(hrx, in, r);
			rcvd += r;
		}
	}
	close(fd);
	if (lfd >= 0)
		close(lfd);
	printf("hold %s: tx %zu bytes hash %016" PRIx64 ", rx %zu bytes hash %016" PRIx64
	       ", %.2f s, %s\n", role, sent, htx, rcvd, hrx, now_s() - t0,
	       rcvd == bytes ? "ok" : "SHORT");
	return rcvd == bytes ? 0 : 1;
}

/* ------------------------------------------------------------------------
 * fuzz sysctl, cat, wait-empty
 */

static int sysctl_main(int argc, char **argv)
{
	int i, quiet = 0, rc = 0;

	for (i = 1; i < argc; i++) {
		char path[256], *eq, *p;
		FILE *f;

		if (!strcmp(argv[i], "-q")) {
			quiet = 1;
			continue;
		}
		eq = strchr(argv[i], '=');
		if (!eq)
			dief("sysctl: want KEY=VALUE, got '%s'", argv[i]);
		snprintf(path, sizeof(path), "/proc/sys/%.*s", (int)(eq - argv[i]), argv[i]);
		for (p = path + 10; *p; p++)
			if (*p == '.')
				*p = '/';
		f = fopen(path, "w");
		if (!f || fprintf(f, "%s\n", eq + 1) < 0 || fclose(f)) {
			if (!(quiet && errno == ENOENT)) {
				fprintf(stderr, "fuzz: sysctl %s: %s\n", argv[i], strerror(errno));
				rc = 1;
			}
		}
	}
	return rc;
}

static int cat_main(int argc, char **argv)
{
	char buf[4096];
	size_t n;
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");

		if (!f)
			die(argv[i]);
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, stdout);
		fclose(f);
	}
	return 0;
}

/* The socket lines of /proc/net/atcp (tcp) in NETNS, appended to out. */
static int socket_lines(const char *ns, const char *file, char *out, size_t room)
{
	char line[512];
	int n = 0, first = 1;
	FILE *f;

	enter_ns(ns);
	f = fopen(file, "r");
	leave_ns();
	if (!f)
		die(file);
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(out);

		if (first) {
			first = 0;
			continue;
		}
		n++;
		if (len + strlen(ns) + strlen(line) + 4 < room) {
			strcat(out, ns);
			strcat(out, ": ");
			strcat(out, line);
		}
	}
	fclose(f);
	return n;
}

static int wait_empty_main(int argc, char **argv)
{
	int c, i, n, proto = atcp_test_proto(), secs = 30, told = 0;
	static char out[8192];
	const char *file;
	double start, end;

	while ((c = getopt(argc, argv, "P:t:")) != -1) {
		switch (c) {
		case 'P': proto = atoi(optarg); break;
		case 't': secs = atoi(optarg); break;
		default: dief("usage: fuzz wait-empty [-P PROTO] [-t SECS] NETNS...");
		}
	}
	file = proto == 6 ? "/proc/self/net/tcp" : "/proc/self/net/atcp";
	start = now_s();
	end = start + secs;
	for (;;) {
		out[0] = 0;
		for (n = 0, i = optind; i < argc; i++)
			n += socket_lines(argv[i], file, out, sizeof(out));
		if (!n)
			return 0;
		if (now_s() > end)
			break;
		if (!told && now_s() - start > 10) {
			printf("still there after 10 s:\n%s", out);
			told = 1;
		}
		/* Only stuck sockets left: no use waiting for them. */
		if (now_s() - start > 3) {
			int k = 0;

			for (i = optind; i < argc; i++)
				k += scan_stuck(argv[i], proto, 1, NULL);
			if (k >= n) {
				for (i = optind; i < argc; i++)
					scan_stuck(argv[i], proto, 1, "stuck: ");
				printf("%d sockets left, stuck; all of them:\n%s", n, out);
				return 1;
			}
		}
		usleep(50000);
	}
	printf("%d sockets left after %d s:\n%s", n, secs, out);
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "-N")) {
		enter_ns(argv[2]);
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		dief("usage: fuzz [-N NETNS] flood|sink|hold|sysctl|cat|wait-empty ... (see fuzz.c)");
	if (!strcmp(argv[1], "sysctl"))
		return sysctl_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "cat"))
		return cat_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "wait-empty"))
		return wait_empty_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "flood"))
		return flood_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "sink"))
		return sink_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "hold"))
		return hold_main(argc - 1, argv + 1);
	dief("unknown command '%s'", argv[1]);
}
