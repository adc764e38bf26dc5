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
 * A cookie is good for the period it was made in and the next one.  The
 * options that need state (window scale, SACK, timestamps) are not offered
 * in a cookie SYN-ACK, as RFC 4987 allows.
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

static siphash_aligned_key_t atcp_cookie_secret;

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

/* Do cookies answer this SYN?  Counts the cookie, or the drop. */
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

/* The cookie ISN for a SYN (skb), and the MSS it promises (*mss). */
u32 atcp_cookie_isn(const struct sk_buff *skb, u16 *mss)
{
	const struct tcphdr *th = tcp_hdr(skb);
	u32 period = atcp_cookie_period();
	u32 idx = ARRAY_SIZE(atcp_cookie_mss) - 1;
	u32 client_isn = ntohl(th->seq);

	while (idx && atcp_cookie_mss[idx] > *mss)
		idx--;
	*mss = atcp_cookie_mss[idx];
	return (period << (32 - ATCP_COOKIE_PERIOD_BITS)) |
	       idx << ATCP_COOKIE_MSS_SHIFT |
	       (atcp_cookie_hash(ip_hdr(skb), th, client_isn, period, idx) &
		ATCP_COOKIE_HASH_MASK);
}

/* The MSS an ACK's cookie promised, or 0 if the cookie is not ours. */
static u16 atcp_cookie_check_isn(const struct sk_buff *skb)
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

/*
 * An ACK for a listener: if it returns one of our cookies, make the
 * connection it stands for and queue it for accept().  Returns the child,
 * locked and with a reference for the caller (atcp_child_process()), or
 * NULL.  Called with the listener locked.
 */
struct sock *atcp_cookie_check(struct sock *sk, struct sk_buff *skb)
{
	const struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
	const struct tcphdr *th = tcp_hdr(skb);
	struct atcp_request_sock *areq;
	struct request_sock *req;
	struct sock *child;
	bool own_req;
	u32 space;
	u16 mss;

	if (!READ_ONCE(atcp_sk_net(sk)->syncookies) || th->rst || th->syn)
		return NULL;
	mss = atcp_cookie_check_isn(skb);
	if (!mss) {
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_SYN_COOKIES_BAD);
		return NULL;
	}
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_SYN_COOKIES_OK);

	req = inet_reqsk_alloc(&atcp_request_sock_ops, sk, false);
	if (!req)
		return NULL;
	areq = atcp_rsk(req);
	req->mss = mss;
	atcp_reqsk_init_addrs(sk, req, skb);
	space = READ_ONCE(sk->sk_rcvbuf);
	space -= space >> 1;
	areq->rcv_wnd = min(space, 65535U);
	areq->rcv_isn = cb->seq - 1;
	areq->snt_isn = cb->ack_seq - 1;
	areq->peer_window = ntohs(th->window);

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
