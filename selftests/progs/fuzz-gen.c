// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz-gen.c - the fuzz program's generator: the seeded random streams,
 * the segments it builds, and each kind of segment it sends (random,
 * at the listeners, on its own connections, at the protected ones,
 * garbage, ICMP errors) with their mutations (fuzz.h).
 */
#include "fuzz.h"

/* ------------------------------------------------------------------------
 * random numbers: splitmix64, one stream per segment
 */

static uint64_t rnext(struct rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

uint32_t rnd(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rnext(r) % n) : 0;
}

int chance(struct rng *r, int pct)
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
 * building segments
 */

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

/* Address s to f's 4-tuple. */
static void seg_to_tuple(struct seg *s, const struct rec *f)
{
	s->src = f->src;
	s->dst = f->dst;
	s->sport = f->sport;
	s->dport = f->dport;
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
		seg_to_tuple(s, f);
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
	seg_to_tuple(s, f);
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

const char sink_cmds[] = "CWdDLKSQ";

/* The flood's own connections: anything goes, it knows their numbers. */
static void gen_conn(struct rng *r, struct seg *s, long i)
{
	int n = rnd(r, NSLOT), k;
	struct rec *f = slot[n] >= 0 ? &recs[slot[n]] : NULL;

	if (f && (f->state == R_EST || f->state == R_SYN_SENT) && f->budget <= 0) {
		/* Retire it: mostly with an exact RST. */
		if (f->state == R_EST && chance(r, 70)) {
			seg_to_tuple(s, f);
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
		seg_to_tuple(s, f);
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
	seg_to_tuple(s, f);
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

uint32_t p_ack(struct rng *r, const struct pconn *p)
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
void gen_one(long i, struct pkt *k)
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
void make_reply(struct pkt *k, const struct rec *f, uint32_t seq, uint32_t ack,
		       int flags)
{
	struct rng r;
	struct seg s;

	rng_seed(&r, cfg.seed ^ 0x5eed, seq);
	seg_init(&s);
	seg_to_tuple(&s, f);
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

