// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: SYN cookies.  When a listener's request queue is full (or always,
 * with net.atcp.syncookies=2), a SYN gets a SYN-ACK whose sequence number
 * carries what the connection needs, and no request sock is kept.  The
 * final ACK brings it back: ack - 1 is our ISN, seq - 1 the client's.
 *
 *   bits 31..27  a counter of 64-second periods (its low 5 bits)
 *   bits 26..24  the index of the client's MSS in atcp_cookie_mss[]
 *   bits 23..0   a keyed hash of the 4-tuple, the client's ISN, the full
 *                period counter and the MSS index
 *
 * A cookie is good for the period it was made in and the next one, and
 * only while the listener has lately answered SYNs with cookies.  The
 * options that need state (window scale, SACK) are offered when the SYN
 * has timestamps, which carry them back (as Linux); without, only the MSS.
 */
#include <linux/module.h>
#include <linux/siphash.h>
#include <net/inet_connection_sock.h>
#include <net/ip.h>

#include "atcp.h"

#define ATCP_COOKIE_PERIOD_SHIFT	6	/* 64 s */
#define ATCP_COOKIE_PERIOD_BITS		5
#define ATCP_COOKIE_MSS_SHIFT		24
#define ATCP_COOKIE_HASH_MASK		0xffffff

static const u16 atcp_cookie_mss[] = { 536, 1300, 1440, 1460, 8960, 65483 };

/* A cookie's ACK is taken this long after the listener last sent one. */
#define ATCP_COOKIE_VALID		(2 * (HZ << ATCP_COOKIE_PERIOD_SHIFT))

/*
 * With timestamps, the low bits of the SYN-ACK's TSval carry the options
 * the SYN asked for, and come back in the ACK's TSecr:
 *   bits 3..0  the peer's window scale, 0xf: none
 *   bit 4      SACK permitted
 *   bit 5      ECN (RFC 3168) agreed
 */
#define ATCP_COOKIE_TS_NO_WSCALE	0xf
#define ATCP_COOKIE_TS_SACK		BIT(4)
#define ATCP_COOKIE_TS_ECN		BIT(5)
#define ATCP_COOKIE_TS_MASK		(BIT(6) - 1)

static siphash_aligned_key_t atcp_cookie_secret;
static siphash_aligned_key_t atcp_cookie_ts_secret;

static u32 atcp_cookie_period(void)
{
	return (u32)(ktime_get_seconds() >> ATCP_COOKIE_PERIOD_SHIFT);
}

static u32 atcp_cookie_hash(const struct iphdr *iph, const struct tcphdr *th,
			    u32 client_isn, u32 period, u32 mss_idx)
{
	net_get_random_once(&atcp_cookie_secret, sizeof(atcp_cookie_secret));
	return siphash_4u32((__force u32)iph->saddr, (__force u32)iph->daddr,
			    (__force u32)th->source << 16 | (__force u32)th->dest,
			    client_isn, &atcp_cookie_secret) ^
	       siphash_2u32(period, mss_idx, &atcp_cookie_secret);
}

/**
 * atcp_want_cookie() - do cookies answer this SYN?
 * @sk: the listener
 *
 * net.atcp.syncookies 2 always, 1 when the SYN queue is full; counts the
 * cookie, or the drop.
 *
 * Context: softirq, the listener not locked.
 * Return: true to answer with a cookie and keep no request sock.
 */
bool atcp_want_cookie(const struct sock *sk)
{
	int mode = READ_ONCE(atcp_sk_net(sk)->syncookies);
	bool full = inet_csk_reqsk_queue_is_full(sk);

	if (mode == 2 || (mode && full)) {
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_SYN_COOKIES_SENT);
		return true;
	}
	if (full)
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_REQ_QUEUE_FULL);
	return false;
}

/*
 * The listener answered with a cookie: for the cookie's lifetime its ACK
 * will be taken (tcp_synq_overflow).  Lockless, as the listener is; once
 * a second is enough.
 */
static void atcp_synq_overflow(struct sock *sk)
{
	u32 last = READ_ONCE(atcp_sk(sk)->synq_overflow_stamp);
	u32 now = jiffies;

	if (!time_between32(now, last, last + HZ))
		WRITE_ONCE(atcp_sk(sk)->synq_overflow_stamp, now);
}

/*
 * No cookie went out lately, so no ACK can carry a good one: a "valid"
 * cookie then is a guess or a replay (tcp_synq_no_recent_overflow).  The
 * lower bound allows for an update racing with the read of jiffies.
 */
static bool atcp_synq_no_recent_overflow(const struct sock *sk)
{
	u32 last = READ_ONCE(atcp_sk(sk)->synq_overflow_stamp);

	return !time_between32((u32)jiffies, last - HZ,
			       last + ATCP_COOKIE_VALID);
}

/**
 * atcp_synq_init() - a new listener has never sent a cookie
 * @sk: the listener
 *
 * Its stamp is set that far in the past rather than left at 0: jiffies
 * start 300 s before 0, so a stamp of 0 would count as a recent cookie from
 * 299 s of uptime until the cookie's lifetime after 0, and a listener that
 * never overflowed would take an ACK with an old cookie (Linux TCP has that
 * flaw).
 *
 * Context: process context, listen() with the socket owned (lock_sock()).
 */
void atcp_synq_init(struct sock *sk)
{
	WRITE_ONCE(atcp_sk(sk)->synq_overflow_stamp,
		   (u32)jiffies - ATCP_COOKIE_VALID - 2 * HZ);
}

/**
 * atcp_cookie_isn() - the cookie ISN for a SYN
 * @sk: the listener
 * @skb: the SYN
 * @mss: where the MSS the cookie promises is written
 *
 * Also stamps the listener's last overflow, which keeps cookies valid.
 *
 * Context: softirq, the listener not locked.
 * Return: the ISN of the SYN-ACK.
 */
u32 atcp_cookie_isn(struct sock *sk, const struct sk_buff *skb, u16 *mss)
{
	const struct tcphdr *th = tcp_hdr(skb);
	u32 period = atcp_cookie_period();
	u32 idx = ARRAY_SIZE(atcp_cookie_mss) - 1;
	u32 client_isn = ntohl(th->seq);

	atcp_synq_overflow(sk);
	while (idx && atcp_cookie_mss[idx] > *mss)
		idx--;
	*mss = atcp_cookie_mss[idx];
	return (period << (32 - ATCP_COOKIE_PERIOD_BITS)) |
	       idx << ATCP_COOKIE_MSS_SHIFT |
	       (atcp_cookie_hash(ip_hdr(skb), th, client_isn, period, idx) &
		ATCP_COOKIE_HASH_MASK);
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_cookie_isn);

/**
 * atcp_cookie_ts_off() - the timestamp clock offset of a cookie connection
 * @skb: the SYN or the ACK: both come from the client
 *
 * A keyed hash of the tuple, so that the ACK's echo can be read without
 * state.
 *
 * Context: any context.
 * Return: the offset added to atcp_ts_now() for this connection.
 */
u32 atcp_cookie_ts_off(const struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	const struct tcphdr *th = tcp_hdr(skb);

	net_get_random_once(&atcp_cookie_ts_secret, sizeof(atcp_cookie_ts_secret));
	return siphash_3u32((__force u32)iph->saddr, (__force u32)iph->daddr,
			    (__force u32)th->source << 16 | (__force u32)th->dest,
			    &atcp_cookie_ts_secret);
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_cookie_ts_off);

/**
 * atcp_cookie_tsval() - the TSval of a cookie SYN-ACK
 * @req: the request the SYN-ACK answers
 *
 * The clock with its low bits replaced by the options the SYN asked for,
 * never ahead of the clock, so that later TSvals do not go back
 * (cookie_init_timestamp).
 *
 * Context: any context (softirq, for a SYN).
 * Return: the TSval, before the request's ts_off is added.
 */
u32 atcp_cookie_tsval(const struct request_sock *req)
{
	const struct inet_request_sock *ireq = inet_rsk(req);
	u32 now = atcp_ts_now(), ts, options;

	options = ireq->wscale_ok ? ireq->snd_wscale : ATCP_COOKIE_TS_NO_WSCALE;
	if (ireq->sack_ok)
		options |= ATCP_COOKIE_TS_SACK;
	if (ireq->ecn_ok)
		options |= ATCP_COOKIE_TS_ECN;
	ts = (now & ~ATCP_COOKIE_TS_MASK) | options;
	if ((s32)(ts - now) > 0)
		ts -= ATCP_COOKIE_TS_MASK + 1;
	return ts + atcp_rsk(req)->ts_off;
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_cookie_tsval);

/**
 * atcp_cookie_decode_options() - the options a cookie SYN-ACK granted
 * @skb: the ACK
 * @opt: its parsed options; wscale, SACK and ECN are set from the echo of the
 *	SYN-ACK's TSval (cookie_timestamp_decode), none without a timestamp
 *
 * Context: any context.
 */
ATCP_VISIBLE_FOR_KUNIT void atcp_cookie_decode_options(const struct sk_buff *skb,
						       struct atcp_options *opt)
{
	u32 options;

	if (!opt->ts_ok) {
		opt->wscale_ok = 0;
		opt->sack_ok = 0;
		opt->ecn_ok = 0;
		return;
	}
	options = opt->tsecr - atcp_cookie_ts_off(skb);
	opt->sack_ok = !!(options & ATCP_COOKIE_TS_SACK);
	opt->ecn_ok = !!(options & ATCP_COOKIE_TS_ECN);
	options &= ATCP_COOKIE_TS_NO_WSCALE;
	opt->wscale_ok = options != ATCP_COOKIE_TS_NO_WSCALE;
	opt->wscale = opt->wscale_ok ? min_t(u32, options, ATCP_MAX_WSCALE) : 0;
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_cookie_decode_options);

/**
 * atcp_cookie_check_isn() - the MSS an ACK's cookie promised
 * @skb: the ACK, its ack_seq - 1 the cookie
 *
 * Context: any context.
 * Return: the MSS the cookie encodes, or 0 if the cookie is not ours or
 * too old.
 */
ATCP_VISIBLE_FOR_KUNIT u16 atcp_cookie_check_isn(const struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);
	u32 isn = ntohl(th->ack_seq) - 1;
	u32 client_isn = ntohl(th->seq) - 1;
	u32 now = atcp_cookie_period();
	u32 low = isn >> (32 - ATCP_COOKIE_PERIOD_BITS);
	u32 idx = (isn >> ATCP_COOKIE_MSS_SHIFT) & 7;
	u32 age;

	if (idx >= ARRAY_SIZE(atcp_cookie_mss))
		return 0;
	for (age = 0; age < 2; age++) {
		u32 period = now - age;

		if ((period & ((1U << ATCP_COOKIE_PERIOD_BITS) - 1)) != low)
			continue;
		if (((atcp_cookie_hash(ip_hdr(skb), th, client_isn, period, idx) ^
		      isn) & ATCP_COOKIE_HASH_MASK) == 0)
			return atcp_cookie_mss[idx];
	}
	return 0;
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_cookie_check_isn);

/**
 * atcp_cookie_check() - make the connection an ACK's SYN cookie stands for
 * @sk: the listener
 * @skb: an ACK for the listener
 *
 * If the ACK returns one of our cookies, the connection it stands for is
 * made and queued for accept() (cookie_v4_check).
 *
 * Context: softirq, the listener not locked, as for every segment to it.
 * Return: the child, bh-locked and with a reference for the caller
 * (atcp_child_process()); the listener itself when the ACK is no cookie
 * of ours, to be answered with a RST; or NULL when the ACK is spent (no
 * memory, the connection exists already, the listener closed).
 */
struct sock *atcp_cookie_check(struct sock *sk, struct sk_buff *skb)
{
	const struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
	const struct tcphdr *th = tcp_hdr(skb);
	struct atcp_request_sock *areq;
	struct atcp_options opt;
	struct request_sock *req;
	struct sock *child;
	bool own_req;
	u16 mss;

	if (!READ_ONCE(atcp_sk_net(sk)->syncookies) || th->rst || th->syn)
		return sk;
	if (atcp_synq_no_recent_overflow(sk))
		return sk;
	mss = atcp_cookie_check_isn(skb);
	if (!mss) {
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_SYN_COOKIES_BAD);
		return sk;
	}
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_SYN_COOKIES_OK);

	atcp_parse_options(skb, th, &opt);
	atcp_cookie_decode_options(skb, &opt);
	opt.mss = mss;

	req = inet_reqsk_alloc(&atcp_request_sock_ops, sk, false);
	if (!req)
		return NULL;
	atcp_reqsk_init(sk, req, skb, &opt);
	/* ECN as granted, while the namespace still takes it (cookie_ecn_ok). */
	inet_rsk(req)->ecn_ok = opt.ecn_ok && READ_ONCE(atcp_sk_net(sk)->ecn);
	areq = atcp_rsk(req);
	areq->rcv_isn = cb->seq - 1;
	areq->snt_isn = cb->ack_seq - 1;
	areq->ts_off = atcp_cookie_ts_off(skb);
	areq->cookie = 1;
	/*
	 * What the SYN-ACK offered is not kept: whole segments of the MSS
	 * the cookie promised, as cookie_v4_check() computes it.
	 */
	areq->rcv_wnd = atcp_initial_window(areq->rcv_wnd, req->mss, false);

	child = atcp_v4_syn_recv_sock(sk, skb, req, NULL, NULL, &own_req);
	if (child) {
		refcount_set(&req->rsk_refcnt, 1);
		if (inet_csk_reqsk_queue_add(sk, req, child))
			return child;
		/* The listener closed meanwhile: inet_child_forget() has
		 * the child, which syn_recv_sock returned locked.
		 */
		__acquire(&child->sk_lock.slock);
		bh_unlock_sock(child);
		sock_put(child);
	}
	__reqsk_free(req);
	return NULL;
}
