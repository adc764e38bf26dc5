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
#include "fuzz.h"

/* ------------------------------------------------------------------------
 * configuration and state of the flood
 */

struct flood_cfg cfg = {
	.seed = 1, .count = 100000, .batch = 32,
	.dut_ip = 0x0afd0101, .spoof_net = 0x0afd8000, .spoof_mask = 0xffff8000,
};

struct rec recs[NREC];
int nrec;
static int htab[1 << HBITS];	/* index + 1 into recs */

int slot[NSLOT] = { -1, -1, -1, -1, -1, -1, -1, -1 };
int reqring[256];
int nreq;

struct flood_counts st;

static const char *const icmp_aim_name[5] = {
	"own connections", "request socks", "protected", "listeners", "random tuples"
};

static const char *const kind_name[6] = {
	"garbage", "random", "listen", "conn", "protected", "icmp"
};

int csum_check = 1;	/* the dut's offloads are off: check its checksums */
int flooding;
static volatile sig_atomic_t got_go;

static unsigned int hkey(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	uint64_t k = ((uint64_t)src << 32 | dst) * 0x9E3779B97F4A7C15ULL;

	k ^= ((uint64_t)sport << 16 | dport) * 0xC2B2AE3D27D4EB4FULL;
	return (k >> 29) & ((1 << HBITS) - 1);
}

struct rec *rec_find(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
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

struct rec *rec_new(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
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

int is_prot_tuple(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	int i;

	for (i = 0; i < cfg.nprot; i++) {
		struct pconn *p = &cfg.prot[i];

		if (src == p->pip && dst == p->dip && sport == p->pport && dport == p->dport)
			return 1;
	}
	return 0;
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
		default: dief("see the comment at the top of fuzz-main.c for the options");
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

/* The commands, by the name that is the first argument. */
static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
} commands[] = {
	{ "sysctl", sysctl_main },
	{ "cat", cat_main },
	{ "wait-empty", wait_empty_main },
	{ "flood", flood_main },
	{ "sink", sink_main },
	{ "hold", hold_main },
};

int main(int argc, char **argv)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "-N")) {
		enter_ns(argv[2]);
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		dief("usage: fuzz [-N NETNS] flood|sink|hold|sysctl|cat|wait-empty ... (see fuzz-main.c)");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].main(argc - 1, argv + 1);
	dief("unknown command '%s'", argv[1]);
}

