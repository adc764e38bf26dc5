// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz-oracle.c - the fuzz program's oracle: what a correct TCP must let
 * the protected connections survive (the segments that may reach them,
 * and what each side is seen to do), the dut's counters, and the
 * sockets left stuck after the flood (fuzz.h).
 */
#include "fuzz.h"

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
	int doff = l4[12] >> 4, flags = get16(l4 + 12) & 0x1ff, i, hl, kind, olen;
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
	for (i = 20; (kind = tcp_option(l4, hl, hl, &i, &olen)) >= 0; i += olen) {
		if (kind == 8 && olen == 10) {
			*tsoff = i + 2;
			if (p->ts && sdiff(get32(l4 + i + 2), p->p_tsval) > 0)
				return 4;
		}
	}
	return 0;
}

/* Hold a segment aimed at a protected tuple to the rules (see the top). */
void p_filter(struct rng *r, struct pkt *k)
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
void p_seen(struct pconn *p, int from_dut, const uint8_t *l4, int l4len, int dlen)
{
	int flags = get16(l4 + 12) & 0x1ff, doff = l4[12] >> 4, i, ws = -1, ts = 0, kind, olen;
	uint32_t seq = get32(l4 + 4), ack = get32(l4 + 8), tsval = 0;
	uint32_t end = seq + dlen + !!(flags & F_SYN) + !!(flags & F_FIN);
	uint32_t win = get16(l4 + 14);

	for (i = 20; (kind = tcp_option(l4, doff * 4, l4len, &i, &olen)) >= 0; i += olen) {
		if (kind == 3 && olen == 3)
			ws = l4[i + 2] > 14 ? 14 : l4[i + 2];
		if (kind == 8 && olen == 10) {
			ts = 1;
			tsval = get32(l4 + i + 2);
		}
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

int read_stats(struct stats *sv)
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

void print_stats(const struct stats *a, const struct stats *b)
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

/* The lines of /proc/net/atcp (tcp) in NETNS that may be stuck sockets. */
static int proc_lines(const char *ns, const char *file, char lines[][160], int max)
{
	char line[512];
	int n = 0;
	FILE *f = open_socket_table(ns, file);

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		char loc[32], rem[32], txrx[32], tmr[32], rtx[16];
		unsigned int st_, tx, rx, tr;

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
int scan_stuck(const char *ns, int proto, double secs, const char *prefix)
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

void p_report(struct pconn *p)
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

