// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: building and sending segments, the write queue.
 *
 * Every segment of a full socket leaves through atcp_transmit_skb(), which
 * writes the current ACK and window into it: that single path is what lets
 * data and FIN carry a pending ACK and cancel the delayed-ACK timer.
 * Segments without a full socket (SYN-ACK of a request sock, RSTs, ACKs of
 * TIME_WAIT and request socks) are the address family's (ipv4.c), built
 * with the same header and checksum writers.
 *
 * The write queue holds, in order, the segments sent but not yet
 * acknowledged, then from ap->send_head on those not yet sent; which of
 * the former go again is recovery.c's to say.
 */
#include <linux/module.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/inet_common.h>
#include <net/tcp_states.h>

#include "atcp.h"
#include "trace.h"

/**
 * atcp_wmem_free_skb() - free a write queue skb and uncharge it
 * @sk: the socket
 * @skb: the skb, already unlinked
 *
 * Memory accounting of the write queue: a queued skb's truesize is charged
 * to the socket (sk_forward_alloc, drawn from the protocol's pool,
 * net.atcp.mem) and counted in sk_wmem_queued until it is freed here.
 *
 * Context: the socket owned by the caller.
 */
void atcp_wmem_free_skb(struct sock *sk, struct sk_buff *skb)
{
	sk_wmem_queued_add(sk, -skb->truesize);
	sk_mem_uncharge(sk, skb->truesize);
	__kfree_skb(skb);
}

/**
 * atcp_stream_alloc_skb() - a new skb for the write queue
 * @sk: the sending socket
 * @gfp: how to allocate
 * @force: take it without asking the memory pool: the queue is empty,
 *	   or the skb carries a SYN or FIN, which must go whatever the memory
 *
 * An skb taken by force is charged all the same when it is queued; the
 * socket then owes the pool until its next schedule settles it, and the
 * pool's figure is that much behind meanwhile.
 * Context: the socket owned by the caller (sendmsg(), the FIN, a split or a
 * probe from the receive path or a timer).
 * Return: the skb, header room reserved and control block cleared, or
 * NULL (no memory, or the pool refused: the caller waits for space).
 */
struct sk_buff *atcp_stream_alloc_skb(struct sock *sk, gfp_t gfp, bool force)
{
	struct sk_buff *skb = alloc_skb_fclone(ATCP_MAX_HEADER, gfp);

	if (unlikely(!skb)) {
		sk->sk_prot->enter_memory_pressure(sk);
		sk_stream_moderate_sndbuf(sk);
		return NULL;
	}
	if (!force && !sk_wmem_schedule(sk, skb->truesize)) {
		__kfree_skb(skb);
		return NULL;
	}
	skb_reserve(skb, ATCP_MAX_HEADER);
	/* Checksummed on the way out, never while the data is copied in. */
	skb->ip_summed = CHECKSUM_PARTIAL;
	memset(ATCP_SKB_CB(skb), 0, sizeof(struct atcp_skb_cb));
	return skb;
}

/**
 * atcp_wmem_schedule() - memory for copy more bytes of data to send
 * @sk: the sending socket
 * @copy: the bytes wanted
 *
 * With little queued, a write must still make progress: up to
 * net.atcp.wmem's minimum may be had on credit (tcp_wmem_schedule).
 * Context: process context, sendmsg() with the socket owned (lock_sock()).
 * Return: how many of them may be copied now, 0 to wait.
 */
int atcp_wmem_schedule(struct sock *sk, int copy)
{
	int left;

	if (likely(sk_wmem_schedule(sk, copy)))
		return copy;
	left = READ_ONCE(atcp_sk_net(sk)->wmem[0]) - sk->sk_wmem_queued;
	return clamp(max(left, sk->sk_forward_alloc), 0, copy);
}

/**
 * atcp_sndbuf_expand() - a send buffer for the congestion window
 * @sk: the socket
 *
 * Twice the window (cwnd, at least the initial one and the reordering
 * degree), for fast recovery and a slow application, counted as an skb
 * per segment, within net.atcp.wmem's maximum (tcp_sndbuf_expand).
 * It never shrinks here.
 * Context: the socket owned by the caller.
 */
void atcp_sndbuf_expand(struct sock *sk)
{
	const struct atcp_sock *ap = atcp_sk(sk);
	int sndmem, per_mss;
	u32 nr_segs;

	per_mss = max_t(u32, ap->rx_mss_clamp, ap->mss_cache) +
		  ATCP_MAX_HEADER + SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	per_mss = roundup_pow_of_two(per_mss) +
		  SKB_DATA_ALIGN(sizeof(struct sk_buff));
	nr_segs = max_t(u32, ATCP_INIT_CWND, ap->snd_cwnd);
	nr_segs = max_t(u32, nr_segs, ap->reordering + 1);
	sndmem = 2 * nr_segs * per_mss;
	if (sk->sk_sndbuf < sndmem)
		WRITE_ONCE(sk->sk_sndbuf,
			   min(sndmem, READ_ONCE(atcp_sk_net(sk)->wmem[2])));
}

/*
 * A writer waits for room and the window is not full: grow the buffer
 * with the window, unless SO_SNDBUF set it or atcp's memory is at
 * net.atcp.mem's first value (tcp_should_expand_sndbuf).
 */
static bool atcp_should_expand_sndbuf(struct sock *sk)
{
	const struct atcp_sock *ap = atcp_sk(sk);

	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		return false;
	if (sk_under_memory_pressure(sk))
		return false;
	if (sk_memory_allocated(sk) >= sk_prot_mem_limits(sk, 0))
		return false;
	return atcp_flight(ap) < ap->snd_cwnd * ap->mss_cache;
}

/**
 * atcp_check_space() - wake writers once acknowledged data freed room
 * @sk: the socket
 *
 * Context: the socket owned by the caller (the receive path, or a read
 * that freed memory).
 */
void atcp_check_space(struct sock *sk)
{
	/* Pairs with the barrier in atcp_poll(). */
	smp_mb();
	if (sk->sk_socket && test_bit(SOCK_NOSPACE, &sk->sk_socket->flags)) {
		if (atcp_should_expand_sndbuf(sk))
			atcp_sndbuf_expand(sk);
		sk->sk_write_space(sk);
	}
}

/**
 * atcp_sync_mss() - the send MSS for a path MTU
 * @sk: the socket
 * @pmtu: the path MTU
 *
 * Path MTU less headers and options, bounded by the peer's MSS, TCP_MAXSEG
 * and half the peer's largest window (tcp_sync_mss); remembered as the
 * socket's pmtu cookie and mss_cache.
 *
 * Context: the socket owned by the caller, or a new child not yet
 * reachable by anyone else.
 * Return: the MSS, in payload bytes.
 */
unsigned int atcp_sync_mss(struct sock *sk, u32 pmtu)
{
	struct atcp_sock *ap = atcp_sk(sk);
	int mss;

	pmtu = min_t(u32, pmtu, IP_MAX_MTU);
	mss = pmtu - sizeof(struct iphdr) - sizeof(struct tcphdr) -
	      inet_csk(sk)->icsk_ext_hdr_len;
	if (ap->rx_mss_clamp && mss > ap->rx_mss_clamp)
		mss = ap->rx_mss_clamp;
	if (ap->uopt.user_mss && mss > ap->uopt.user_mss)
		mss = ap->uopt.user_mss;
	if (ap->ts_ok)
		mss -= TCPOLEN_TSTAMP_ALIGNED;
	mss = max_t(int, mss, ATCP_MIN_MSS);
	mss = atcp_bound_to_half_wnd(ap, mss);
	inet_csk(sk)->icsk_pmtu_cookie = pmtu;
	ap->mss_cache = mss;
	return mss;
}

/**
 * atcp_current_mss() - the MSS to send with now
 * @sk: the socket
 *
 * Resynced (atcp_sync_mss()) when the route's MTU changed since.
 *
 * Context: the socket owned by the caller.
 * Return: the MSS, in payload bytes.
 */
u32 atcp_current_mss(struct sock *sk)
{
	struct dst_entry *dst = __sk_dst_get(sk);
	struct atcp_sock *ap = atcp_sk(sk);

	if (dst && dst_mtu(dst) != inet_csk(sk)->icsk_pmtu_cookie)
		atcp_sync_mss(sk, dst_mtu(dst));
	return ap->mss_cache;
}

/**
 * atcp_select_wscale() - the window scale to offer
 * @space: the receive space
 * @rmem_max: the most the buffer may grow to (atcp_rmem_max())
 * @clamp: the bound on the window, 0: none
 *
 * The scale for the largest window the buffer may ever offer, not the
 * one it has, since autotuning grows it: the space, net.atcp.rmem's
 * maximum or net.core.rmem_max, whichever is largest, within the clamp
 * (tcp_select_initial_window).
 * Context: any context.
 * Return: the shift.
 */
u8 atcp_select_wscale(u32 space, u32 rmem_max, u32 clamp)
{
	space = max(space, rmem_max);
	if (clamp)
		space = min(space, clamp);
	return clamp_t(int, ilog2(max(space, 1U)) - 15, 0, ATCP_MAX_WSCALE);
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_select_wscale);

/**
 * atcp_initial_window() - the window a SYN or a SYN-ACK offers
 * @space: the receive space, within the clamp
 * @mss: the MSS we announce
 * @ts_ok: timestamps are in use: each segment carries that much less data
 *
 * Whole segments where the space holds more than one, and no more than
 * the unscaled field carries (tcp_select_initial_window): 64240 for an
 * MSS of 1460, 65160 with timestamps, as Linux's TCP offers.
 * Context: any context.
 * Return: the window, in bytes.
 */
u32 atcp_initial_window(u32 space, u32 mss, bool ts_ok)
{
	if (ts_ok && mss > TCPOLEN_TSTAMP_ALIGNED)
		mss -= TCPOLEN_TSTAMP_ALIGNED;
	if (mss && space > mss)
		space = rounddown(space, mss);
	return min(space, 65535U);
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_initial_window);

/**
 * atcp_openreq_init_rwnd() - the window a request sock's SYN-ACK offers
 * @req: the request sock, its space and clamp set by atcp_reqsk_init()
 * @mss: the MSS its SYN-ACK announces
 *
 * Once, before the first SYN-ACK: its ACKs, its in-window check and the
 * child all use the window that SYN-ACK offered (tcp_openreq_init_rwin).
 * Context: any context; the request not yet hashed.
 */
void atcp_openreq_init_rwnd(struct request_sock *req, u32 mss)
{
	struct atcp_request_sock *areq = atcp_rsk(req);

	areq->rcv_wnd = atcp_initial_window(areq->rcv_wnd, mss,
					    inet_rsk(req)->tstamp_ok);
}

/**
 * atcp_rmem_max() - the largest receive buffer a socket may grow to
 * @sk: the socket
 *
 * Return: net.atcp.rmem's maximum or net.core.rmem_max, the larger, for
 * its window scale.
 * Context: any context.
 */
u32 atcp_rmem_max(const struct sock *sk)
{
	return max_t(u32, READ_ONCE(atcp_sk_net(sk)->rmem[2]),
		     READ_ONCE(sysctl_rmem_max));
}

/**
 * atcp_initial_clamp() - the bound on a new connection's window
 * @sk: the socket (or the listener, for a request sock)
 * @clamp: TCP_WINDOW_CLAMP's bound, 0: none
 * @full_space: the window the receive buffer offers
 *
 * With SO_RCVBUF set, no more than the window that buffer offers
 * (tcp_connect_init, tcp_openreq_init_rwin).
 * Return: the bound, 0: none.
 * Context: any context.
 */
u32 atcp_initial_clamp(const struct sock *sk, u32 clamp, u32 full_space)
{
	if ((sk->sk_userlocks & SOCK_RCVBUF_LOCK) &&
	    (!clamp || clamp > full_space))
		clamp = full_space;
	return clamp;
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_initial_clamp);

/* The scale and the first window of an active open, within TCP_WINDOW_CLAMP. */
void atcp_init_rcv_wnd(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 space = atcp_full_space(sk);
	u32 clamp = atcp_initial_clamp(sk, ap->window_clamp, space);

	ap->rcv_wscale = ap->wscale_ok ?
			 atcp_select_wscale(space, atcp_rmem_max(sk), clamp) : 0;
	ap->window_clamp = 65535U << ap->rcv_wscale;
	if (clamp)
		ap->window_clamp = min(ap->window_clamp, clamp);
	ap->rcv_wnd = atcp_initial_window(min(space, ap->window_clamp),
					  ap->advmss, false);
	ap->rcv_ssthresh = ap->rcv_wnd;
}

/**
 * atcp_adjust_rcv_ssthresh() - hold the window's growth to a bound
 * @sk: the socket
 * @bound: the most rcv_ssthresh may be, but for memory SO_RESERVE_MEM
 *	   holds for the socket
 *
 * (__tcp_adjust_rcv_ssthresh.)
 * Context: the socket owned by the caller.
 */
void atcp_adjust_rcv_ssthresh(struct sock *sk, u32 bound)
{
	struct atcp_sock *ap = atcp_sk(sk);
	int unused_mem = sk_unused_reserved_mem(sk);

	ap->rcv_ssthresh = min(ap->rcv_ssthresh, bound);
	if (unused_mem)
		ap->rcv_ssthresh = max_t(u32, ap->rcv_ssthresh,
					 atcp_win_from_space(unused_mem));
}

/**
 * atcp_free_window() - the window to advertise now
 * @sk: the socket
 *
 * What the free buffer offers, no more than rcv_ssthresh lets the window
 * grow to yet.  With less than half the buffer free, the window rounds
 * down to what the scale can say, and is zero below a sixteenth of the
 * buffer or one segment: a sliver would only invite silly windows, and
 * zero in time keeps the buffer from overflowing.  Unscaled, whole
 * segments are offered, and an offer within a segment of the free space
 * is kept (__tcp_select_window, without net.ipv4.tcp_shrink_window).
 *
 * Context: the socket owned by the caller.
 * Return: the window, in bytes, before scaling.
 */
u32 atcp_free_window(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	int mss = max_t(u32, icsk->icsk_ack.rcv_mss, ATCP_MIN_MSS);
	int free_space = atcp_space(sk);
	int allowed_space = atcp_full_space(sk);
	int full_space = min_t(int, ap->window_clamp, allowed_space);
	int window;

	if (unlikely(mss > full_space)) {
		mss = full_space;
		if (mss <= 0)
			return 0;
	}
	if (free_space < (full_space >> 1)) {
		icsk->icsk_ack.quick = 0;
		if (sk_under_memory_pressure(sk))
			atcp_adjust_rcv_ssthresh(sk, 4U * ap->advmss);
		free_space = round_down(free_space, 1 << ap->rcv_wscale);
		if (free_space < (allowed_space >> 4) || free_space < mss)
			return 0;
	}
	if (free_space > ap->rcv_ssthresh)
		free_space = ap->rcv_ssthresh;

	/* A scaled window cannot keep to segments; it rounds up instead. */
	if (ap->rcv_wscale)
		return ALIGN(free_space, 1 << ap->rcv_wscale);

	window = ap->rcv_wnd;
	if (window <= free_space - mss || window > free_space)
		window = rounddown(free_space, mss);
	else if (mss == full_space && free_space > window + (full_space >> 1))
		window = free_space;
	return window;
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_free_window);

/**
 * atcp_select_window() - the window field of the next segment
 * @sk: the socket
 *
 * atcp_free_window(), but never less than what is still offered, so the
 * right edge never moves back (tcp_select_window).
 *
 * Context: the socket owned by the caller.
 * Return: the window, scaled by rcv_wscale.
 */
u32 atcp_select_window(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	s32 cur = ap->rcv_wup + ap->rcv_wnd - ap->rcv_nxt;
	u32 new_win = atcp_free_window(sk);

	if (cur < 0)
		cur = 0;
	if (new_win < cur)
		new_win = round_up(cur, 1U << ap->rcv_wscale);
	new_win = min(new_win, 65535U << ap->rcv_wscale);
	ap->rcv_wnd = new_win;
	ap->rcv_wup = ap->rcv_nxt;
	return new_win >> ap->rcv_wscale;
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_select_window);

static u32 atcp_tsval(const struct atcp_sock *ap)
{
	return atcp_ts_now() + ap->ts_offset;
}

static unsigned int atcp_options_size(const struct atcp_out_options *o)
{
	unsigned int size = 0;

	if (o->mss)
		size += TCPOLEN_MSS_ALIGNED;
	if (o->ts_ok)
		size += TCPOLEN_TSTAMP_ALIGNED;
	else if (o->sack_ok)
		size += TCPOLEN_SACKPERM_ALIGNED;
	if (o->ws_ok)
		size += TCPOLEN_WSCALE_ALIGNED;
	if (o->num_sacks)
		size += TCPOLEN_SACK_BASE_ALIGNED +
			o->num_sacks * TCPOLEN_SACK_PERBLOCK;
	return size;
}

static void atcp_write_options(__be32 *ptr, const struct atcp_out_options *o)
{
	if (o->mss)
		*ptr++ = htonl((TCPOPT_MSS << 24) | (TCPOLEN_MSS << 16) | o->mss);
	if (o->ts_ok) {
		if (o->sack_ok)
			*ptr++ = htonl((TCPOPT_SACK_PERM << 24) |
				       (TCPOLEN_SACK_PERM << 16) |
				       (TCPOPT_TIMESTAMP << 8) | TCPOLEN_TIMESTAMP);
		else
			*ptr++ = htonl((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) |
				       (TCPOPT_TIMESTAMP << 8) | TCPOLEN_TIMESTAMP);
		*ptr++ = htonl(o->tsval);
		*ptr++ = htonl(o->tsecr);
	} else if (o->sack_ok) {
		*ptr++ = htonl((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) |
			       (TCPOPT_SACK_PERM << 8) | TCPOLEN_SACK_PERM);
	}
	if (o->ws_ok)
		*ptr++ = htonl((TCPOPT_NOP << 24) | (TCPOPT_WINDOW << 16) |
			       (TCPOLEN_WINDOW << 8) | o->wscale);
	if (o->num_sacks) {
		int i;

		*ptr++ = htonl((TCPOPT_NOP << 24) | (TCPOPT_NOP << 16) |
			       (TCPOPT_SACK << 8) |
			       (TCPOLEN_SACK_BASE +
				o->num_sacks * TCPOLEN_SACK_PERBLOCK));
		for (i = 0; i < o->num_sacks; i++) {
			*ptr++ = htonl(o->sacks[i].start);
			*ptr++ = htonl(o->sacks[i].end);
		}
	}
}

/*
 * The SACK blocks a segment can carry: up to four, three beside a
 * timestamp, and on a data segment only as many as fit in the MSS the
 * payload leaves unused, so that no segment outgrows the path MTU.  A
 * D-SACK block counts as one of them.
 */
static u8 atcp_sacks_to_send(const struct atcp_sock *ap, u32 payload)
{
	u32 n = min_t(u32, ap->num_sacks + ap->dsack,
		      ap->ts_ok ? 3 : ATCP_NUM_SACKS);
	u32 room;

	if (!payload || !n)
		return n;
	room = ap->mss_cache > payload ? ap->mss_cache - payload : 0;
	if (room < TCPOLEN_SACK_BASE_ALIGNED + TCPOLEN_SACK_PERBLOCK)
		return 0;
	return min_t(u32, n, (room - TCPOLEN_SACK_BASE_ALIGNED) /
			     TCPOLEN_SACK_PERBLOCK);
}

/*
 * The n blocks to send: a pending D-SACK block first (RFC 2883 section 4),
 * then the out-of-order ones.  Once sent, the D-SACK is done with.
 */
static const struct atcp_sack_block *
atcp_sack_blocks(struct atcp_sock *ap, struct atcp_sack_block *buf, u8 n)
{
	if (!ap->dsack || !n)
		return ap->selective_acks;
	buf[0] = ap->duplicate_sack;
	memcpy(buf + 1, ap->selective_acks, (n - 1) * sizeof(*buf));
	ap->dsack = 0;
	return buf;
}

/**
 * atcp_push_header() - push the TCP header and options in front of the payload
 * @skb: the segment, with headroom for them
 * @sport: source port
 * @dport: destination port
 * @seq: sequence number
 * @ack: acknowledgment number
 * @flags: TCPHDR_* flags
 * @window: the window field, already scaled
 * @o: the options to write
 *
 * Context: any context.
 * Return: the header, in the skb.
 */
struct tcphdr *atcp_push_header(struct sk_buff *skb, __be16 sport,
				__be16 dport, u32 seq, u32 ack, u8 flags,
				u16 window, const struct atcp_out_options *o)
{
	unsigned int hlen = sizeof(struct tcphdr) + atcp_options_size(o);
	struct tcphdr *th;

	skb_push(skb, hlen);
	skb_reset_transport_header(skb);
	th = (struct tcphdr *)skb->data;
	memset(th, 0, sizeof(*th));
	th->source = sport;
	th->dest = dport;
	th->seq = htonl(seq);
	th->ack_seq = htonl(ack);
	*(((__be16 *)th) + 6) = htons(((hlen >> 2) << 12) | flags);
	th->window = htons(window);
	atcp_write_options((__be32 *)(th + 1), o);
	return th;
}

/**
 * atcp_csum() - fill in a segment's checksum
 * @skb: the segment
 * @th: its TCP header
 * @saddr: the source address of the pseudo-header
 * @daddr: the destination address
 * @offload: leave the sum to the device (CHECKSUM_PARTIAL, the
 *	pseudo-header's sum in place), else compute it here
 *
 * Context: any context.
 */
void atcp_csum(struct sk_buff *skb, struct tcphdr *th, __be32 saddr,
	       __be32 daddr, bool offload)
{
	if (offload) {
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb_transport_header(skb) - skb->head;
		skb->csum_offset = offsetof(struct tcphdr, check);
		th->check = ~csum_tcpudp_magic(saddr, daddr, skb->len,
					       atcp_proto_num, 0);
	} else {
		skb->ip_summed = CHECKSUM_NONE;
		th->check = 0;
		th->check = csum_tcpudp_magic(saddr, daddr, skb->len,
					      atcp_proto_num,
					      skb_checksum(skb, 0, skb->len, 0));
	}
}

/* Every segment that carries an ACK settles the delayed-ACK state. */
static void atcp_event_ack_sent(struct sock *sk, bool carries_data)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);

	if (carries_data && inet_csk_ack_scheduled(sk)) {
		ap->piggybacked_acks++;
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_PIGGYBACKED_ACKS);
		trace_atcp_ack(sk, ap->rcv_nxt, ATCP_ACK_PIGGYBACK, 0);
	}
	/* Quick-ack credit pays for ACKs of new data only (Linux 6.1). */
	if (icsk->icsk_ack.quick && inet_csk_ack_scheduled(sk)) {
		u32 dmin = READ_ONCE(atcp_sk_net(sk)->delack_min);

		if (icsk->icsk_ack.quick == 1)
			icsk->icsk_ack.ato = msecs_to_jiffies(dmin);
		icsk->icsk_ack.quick--;
	}
	inet_csk_clear_xmit_timer(sk, ICSK_TIME_DACK);
}

/* A reply within ATO of the last arrival suggests an interactive flow. */
static void atcp_event_data_sent(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	u32 now = tcp_jiffies32;

	atcp_sk(sk)->lsndtime = now;
	if ((u32)(now - icsk->icsk_ack.lrcvtime) < icsk->icsk_ack.ato)
		inet_csk_enter_pingpong_mode(sk);
}

/*
 * Send one segment of a full socket: a clone of a queued skb (data, SYN,
 * FIN) or a bare skb of its own (ACK, RST, probe).  A queued skb of more
 * than gso_size bytes (queued skbs grow past the MSS only where the route
 * takes super-segments) goes as one super-segment of segments of gso_size
 * (offload.c); gso_size 0: as one segment.
 */
/*
 * While urgent data is unacknowledged, a segment that starts before the
 * urgent pointer points at its end (tcp_transmit_skb): with URG and the
 * offset of the byte after it, or 0xFFFF, "further on", while it is more
 * than 64 KiB ahead.  A window probe below snd_una carries it too.
 */
static void atcp_set_urg(const struct atcp_sock *ap, struct tcphdr *th,
			 u32 seq)
{
	if (!before(seq, ap->snd_up))
		return;
	if (before(ap->snd_up, seq + 0x10000)) {
		th->urg_ptr = htons(ap->snd_up - seq);
		th->urg = 1;
	} else if (after(seq + 0xFFFF, ap->snd_nxt)) {
		th->urg_ptr = htons(0xFFFF);
		th->urg = 1;
	}
}

static int __atcp_transmit_skb(struct sock *sk, struct sk_buff *skb,
			       bool clone_it, gfp_t gfp, u8 more_flags,
			       u32 gso_size)
{
	struct inet_sock *inet = inet_sk(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	struct atcp_sack_block sacks[ATCP_NUM_SACKS];
	struct atcp_out_options opts = {};
	struct atcp_skb_cb *cb;
	struct tcphdr *th;
	u16 window, segs;
	int err;

	if (clone_it) {
		struct sk_buff *oskb = skb;

		ATCP_SKB_CB(oskb)->sent = tcp_clock_us();
		skb = skb_cloned(oskb) ? pskb_copy(oskb, gfp) : skb_clone(oskb, gfp);
		if (!skb)
			return -ENOBUFS;
	}
	cb = ATCP_SKB_CB(skb);
	/* Flags for this transmission only: the queued skb keeps its own. */
	cb->tcp_flags |= more_flags;
	if (skb->len <= gso_size)
		gso_size = 0;

	if (unlikely(cb->tcp_flags & TCPHDR_SYN)) {
		opts.mss = ap->advmss;
		opts.ts_ok = ap->ts_ok;
		opts.sack_ok = ap->sack_ok;
		opts.ws_ok = ap->wscale_ok;
		opts.wscale = ap->rcv_wscale;
		window = min(ap->rcv_wnd, 65535U);
	} else {
		opts.ts_ok = ap->ts_ok;
		if (ap->sack_ok && (ap->num_sacks || ap->dsack)) {
			opts.num_sacks = atcp_sacks_to_send(ap, gso_size ? :
								    skb->len);
			opts.sacks = atcp_sack_blocks(ap, sacks, opts.num_sacks);
		}
		window = atcp_select_window(sk);
	}
	if (opts.ts_ok) {
		opts.tsval = atcp_tsval(ap);
		opts.tsecr = ap->ts_recent;
	}

	skb_orphan(skb);
	skb_set_owner_w(skb, sk);
	th = atcp_push_header(skb, inet->inet_sport, inet->inet_dport, cb->seq,
			      (cb->tcp_flags & TCPHDR_ACK) ? ap->rcv_nxt : 0,
			      cb->tcp_flags, window, &opts);
	if (unlikely(ap->urg_mode))
		atcp_set_urg(ap, th, cb->seq);
	if (likely(!(cb->tcp_flags & TCPHDR_SYN)))
		atcp_ecn_send(sk, skb, th);
	if (cb->tcp_flags & TCPHDR_ACK)
		atcp_event_ack_sent(sk, cb->seq != cb->end_seq);
	if (skb->len != tcp_hdrlen(skb))
		atcp_event_data_sent(sk);
	atcp_csum(skb, th, inet->inet_saddr, inet->inet_daddr,
		  gso_size || atcp_csum_offload(sk));
	/* A clone shares the queued skb's shinfo: these are set each time. */
	segs = gso_size ? DIV_ROUND_UP(skb->len - tcp_hdrlen(skb), gso_size) : 1;
	skb_shinfo(skb)->gso_type = gso_size ? ATCP_GSO_TYPE : 0;
	skb_shinfo(skb)->gso_size = gso_size;
	skb_shinfo(skb)->gso_segs = gso_size ? segs : 0;
	if (gso_size)
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_OUT_SUPER_SEGS);

	memset(skb->cb, 0, sizeof(struct inet_skb_parm));
	ap->segs_out += segs;
	ATCP_ADD_STATS(sock_net(sk), ATCP_MIB_OUT_SEGS, segs);
	if (cb->tcp_flags & TCPHDR_RST)
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_OUT_RSTS);
	err = ip_queue_xmit(sk, skb, &inet->cork.fl);
	return net_xmit_eval(err);
}

int atcp_transmit_skb(struct sock *sk, struct sk_buff *skb, gfp_t gfp)
{
	return __atcp_transmit_skb(sk, skb, true, gfp, 0, 0);
}

static struct sk_buff *atcp_alloc_ctl(struct sock *sk, gfp_t gfp, u32 seq,
				      u8 flags)
{
	struct sk_buff *skb = alloc_skb(ATCP_MAX_HEADER, gfp);

	if (!skb)
		return NULL;
	skb_reserve(skb, ATCP_MAX_HEADER);
	memset(ATCP_SKB_CB(skb), 0, sizeof(struct atcp_skb_cb));
	ATCP_SKB_CB(skb)->seq = seq;
	ATCP_SKB_CB(skb)->end_seq = seq;
	ATCP_SKB_CB(skb)->tcp_flags = flags;
	return skb;
}

/**
 * atcp_send_ack() - send a pure ACK with the current rcv_nxt and window
 * @sk: the socket
 *
 * Context: the socket owned by the caller (lock_sock(), or bh_lock_sock()
 * in softirq and timers); checked under lockdep.
 */
void atcp_send_ack(struct sock *sk)
{
	struct sk_buff *skb;

	sock_owned_by_me(sk);

	if (sk->sk_state == TCP_CLOSE)
		return;
	skb = atcp_alloc_ctl(sk, GFP_ATOMIC | __GFP_NOWARN,
			     atcp_sk(sk)->snd_nxt, TCPHDR_ACK);
	if (!skb) {
		/* Try again from the delayed-ACK timer. */
		inet_csk_schedule_ack(sk);
		inet_csk_reset_xmit_timer(sk, ICSK_TIME_DACK, HZ / 5, ATCP_RTO_MAX);
		return;
	}
	__atcp_transmit_skb(sk, skb, false, GFP_ATOMIC, 0, 0);
}

/**
 * atcp_send_delayed_ack() - arm the delayed-ACK timer
 * @sk: the socket
 *
 * ATO, bounded by the RTT and by [delack_min, delack_max] of this
 * namespace (tcp_send_delayed_ack); when the timer armed already would
 * fire within a quarter of that, the ACK goes at once.
 *
 * Context: the socket owned by the caller; checked under lockdep.
 */
void atcp_send_delayed_ack(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_net *an = atcp_sk_net(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	u32 dmin = msecs_to_jiffies(READ_ONCE(an->delack_min));
	u32 dmax = msecs_to_jiffies(READ_ONCE(an->delack_max));
	u32 ato = icsk->icsk_ack.ato;
	unsigned long timeout;

	sock_owned_by_me(sk);

	dmax = max(dmax, dmin);
	if (ato > dmin) {
		u32 max_ato = HZ / 2;

		if (inet_csk_in_pingpong_mode(sk) ||
		    (icsk->icsk_ack.pending & ICSK_ACK_PUSHED))
			max_ato = dmax;
		if (ap->srtt_us) {
			u32 rtt = max_t(u32, usecs_to_jiffies(ap->srtt_us >> 3), dmin);

			if (rtt < max_ato)
				max_ato = rtt;
		}
		ato = min(ato, max_ato);
	}
	ato = clamp(ato, dmin, dmax);

	timeout = jiffies + ato;
	if (icsk->icsk_ack.pending & ICSK_ACK_TIMER) {
		/* The timer is about to fire anyway: ACK now. */
		if (time_before_eq(icsk->icsk_ack.timeout, jiffies + (ato >> 2))) {
			trace_atcp_ack(sk, ap->rcv_nxt, ATCP_ACK_TIMER_DUE, 0);
			atcp_send_ack(sk);
			return;
		}
		if (!time_before(timeout, icsk->icsk_ack.timeout))
			timeout = icsk->icsk_ack.timeout;
	}
	trace_atcp_ack(sk, ap->rcv_nxt, ATCP_ACK_DELAYED,
		       jiffies_to_msecs(timeout - jiffies));
	icsk->icsk_ack.pending |= ICSK_ACK_SCHED | ICSK_ACK_TIMER;
	icsk->icsk_ack.timeout = timeout;
	sk_reset_timer(sk, &icsk->icsk_delack_timer, timeout);
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_send_delayed_ack);

/**
 * atcp_send_active_reset() - abort: a RST with the next sequence number
 * @sk: the socket
 * @gfp: how the RST may be allocated
 *
 * RFC 9293 3.10.5.
 *
 * Context: the socket owned by the caller (close(), a disconnect, a timer
 * giving up); checked under lockdep.
 */
void atcp_send_active_reset(struct sock *sk, gfp_t gfp)
{
	struct sk_buff *skb;

	sock_owned_by_me(sk);

	skb = atcp_alloc_ctl(sk, gfp, atcp_sk(sk)->snd_nxt,
			     TCPHDR_ACK | TCPHDR_RST);
	if (skb)
		__atcp_transmit_skb(sk, skb, false, gfp, 0, 0);
}

/**
 * atcp_send_probe() - a segment the peer must answer
 * @sk: the socket
 * @zero_window: a zero-window probe, else a keepalive probe
 *
 * Sent with seq snd_una - 1, so that the peer answers with an ACK.
 *
 * Context: a timer, the socket owned (bh_lock_sock() or
 * atcp_release_cb()).
 * Return: 0, or a negative errno (no memory, or the IP layer's).
 */
int atcp_send_probe(struct sock *sk, bool zero_window)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *skb;

	skb = atcp_alloc_ctl(sk, GFP_ATOMIC | __GFP_NOWARN, ap->snd_una - 1,
			     TCPHDR_ACK);
	if (!skb)
		return -ENOBUFS;
	if (zero_window) {
		ap->zwp_sent++;
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_ZERO_WINDOW_PROBES);
	}
	return __atcp_transmit_skb(sk, skb, false, GFP_ATOMIC, 0, 0);
}

/* An ACK at snd_una that the peer takes: the urgent pointer on it. */
static void atcp_send_urg_probe(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *skb;

	skb = atcp_alloc_ctl(sk, GFP_ATOMIC | __GFP_NOWARN, ap->snd_una,
			     TCPHDR_ACK);
	if (!skb)
		return;
	ap->zwp_sent++;
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_ZERO_WINDOW_PROBES);
	__atcp_transmit_skb(sk, skb, false, GFP_ATOMIC, 0, 0);
}

/**
 * atcp_entail() - queue a new skb to send, and charge it to the socket
 * @sk: the socket
 * @skb: the new skb, the write queue's new tail
 *
 * Context: process context, the socket owned (sendmsg()).
 */
void atcp_entail(struct sock *sk, struct sk_buff *skb)
{
	struct atcp_sock *ap = atcp_sk(sk);

	__skb_header_release(skb);
	__skb_queue_tail(&sk->sk_write_queue, skb);
	sk_wmem_queued_add(sk, skb->truesize);
	sk_mem_charge(sk, skb->truesize);
	if (!ap->send_head)
		ap->send_head = skb;
}

/*
 * A private copy of a sent skb's head (its clone may still be queued
 * below): the socket was charged truesize, and is uncharged it at the end,
 * so it must not change with the new head (skb_unclone_keeptruesize(),
 * which 6.1 does not export).
 */
static int atcp_unclone(struct sk_buff *skb)
{
	unsigned int truesize = skb->truesize;

	if (!skb_cloned(skb))
		return 0;
	if (pskb_expand_head(skb, 0, 0, GFP_ATOMIC))
		return -ENOMEM;
	skb->truesize = truesize;
	return 0;
}

/**
 * atcp_fragment() - split a queued skb in two (tcp_fragment)
 * @sk: the sender
 * @skb: in the write queue, sent or not
 * @len: how many of its bytes stay in it; the rest follow it in a new skb
 *
 * Both parts keep the scoreboard state; PSH, FIN and the end of a record
 * go with the second.
 * Return: 0, -ENOMEM (nothing changed), -EINVAL for a bad length.
 * Context: the socket owned.
 */
int atcp_fragment(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
	struct sk_buff *buff;
	u32 moved;

	/* All of its data may stay if what moves is the FIN. */
	if (WARN_ON_ONCE(len > skb->len ||
			 (len == skb->len && !(cb->tcp_flags & TCPHDR_FIN))))
		return -EINVAL;
	if (atcp_unclone(skb))
		return -ENOMEM;
	buff = atcp_stream_alloc_skb(sk, GFP_ATOMIC | __GFP_NOWARN, true);
	if (!buff)
		return -ENOMEM;
	sk_wmem_queued_add(sk, buff->truesize);
	sk_mem_charge(sk, buff->truesize);

	moved = skb->len - len;
	skb_split(skb, buff, len);
	skb->truesize -= moved;
	buff->truesize += moved;

	*ATCP_SKB_CB(buff) = *cb;
	if (cb->sacked & ATCP_SACKED_LOST)
		atcp_sk(sk)->lost_marked++;
	ATCP_SKB_CB(buff)->seq = cb->seq + len;
	cb->end_seq = cb->seq + len;
	/* PSH, FIN and the end of a record go with the second part. */
	cb->tcp_flags &= ~(TCPHDR_FIN | TCPHDR_PSH);
	cb->eor = 0;
	__skb_header_release(buff);
	__skb_queue_after(&sk->sk_write_queue, skb, buff);
	return 0;
}

/**
 * atcp_trim_head() - drop the first bytes of a sent skb, acknowledged
 * @sk: the sender
 * @skb: in the write queue, sent, partly acknowledged (tcp_trim_head)
 * @len: how many of its bytes the peer acknowledged, at most all of them
 *
 * A super-segment is acknowledged a part at a time; what is acknowledged
 * is freed now, not when the last of it is.
 * Return: 0, or -ENOMEM (the skb stays whole).
 * Context: the socket owned.
 */
int atcp_trim_head(struct sock *sk, struct sk_buff *skb, u32 len)
{
	struct skb_shared_info *shinfo;
	u32 head = 0, eat;
	int i, k = 0;

	if (WARN_ON_ONCE(len > skb->len))
		return -EINVAL;
	if (atcp_unclone(skb))
		return -ENOMEM;
	if (skb_headlen(skb)) {
		head = min_t(u32, len, skb_headlen(skb));
		__skb_pull(skb, head);
	}
	eat = len - head;
	shinfo = skb_shinfo(skb);
	for (i = 0; i < shinfo->nr_frags; i++) {
		u32 size = skb_frag_size(&shinfo->frags[i]);

		if (size <= eat) {
			skb_frag_unref(skb, i);
			eat -= size;
			continue;
		}
		shinfo->frags[k] = shinfo->frags[i];
		if (eat) {
			skb_frag_off_add(&shinfo->frags[k], eat);
			skb_frag_size_sub(&shinfo->frags[k], eat);
			eat = 0;
		}
		k++;
	}
	shinfo->nr_frags = k;
	skb->data_len -= len - head;
	skb->len -= len - head;
	ATCP_SKB_CB(skb)->seq += len;
	skb->truesize -= len;
	sk_wmem_queued_add(sk, -(int)len);
	sk_mem_uncharge(sk, len);
	return 0;
}

/**
 * atcp_retransmit_skb() - send a segment of the write queue again
 * @sk: the socket
 * @skb: the segment, split first if larger than the current MSS
 *
 * Counts the retransmission and stamps what undo and the RTO need.
 *
 * Context: the socket owned by the caller (recovery, from an ACK or a
 * timer); checked under lockdep.
 * Return: 0, or a negative errno (no memory, or the IP layer's).
 */
int atcp_retransmit_skb(struct sock *sk, struct sk_buff *skb)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 mss = atcp_current_mss(sk);
	int err;

	sock_owned_by_me(sk);

	if (skb->len > mss && atcp_fragment(sk, skb, mss))
		return -ENOMEM;
	atcp_ecn_clear_syn(sk, skb);
	err = atcp_transmit_skb(sk, skb, GFP_ATOMIC);
	if (err)
		return err;
	trace_atcp_retransmit(sk, ATCP_SKB_CB(skb)->seq);
	ATCP_SKB_CB(skb)->retrans++;
	ap->total_retrans++;
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_RETRANS_SEGS);
	if (!ap->retrans_stamp)
		ap->retrans_stamp = tcp_jiffies32 ? : 1;
	/* For undo: when the episode's first went, and how many not DSACKed. */
	if (ap->undo_marker) {
		if (!ap->retrans_ts)
			ap->retrans_ts = atcp_ts_now() ? : 1;
		ap->undo_retrans = max(ap->undo_retrans, 0) + 1;
	}
	return 0;
}

/*
 * Whether the congestion window held the sender back in the window of data
 * now in flight, and the most it had out (tcp_cwnd_validate): the growth
 * of the window is earned by using it (atcp_is_cwnd_limited()).
 */
static void atcp_cwnd_validate(struct sock *sk, bool is_cwnd_limited)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 out = DIV_ROUND_UP(atcp_flight(ap), max_t(u32, ap->mss_cache, 1));

	if (!before(ap->snd_una, ap->cwnd_usage_seq) || is_cwnd_limited ||
	    out > ap->max_packets_out) {
		ap->is_cwnd_limited = is_cwnd_limited;
		ap->max_packets_out = out;
		ap->cwnd_usage_seq = ap->snd_nxt;
	}
}

/* Minshall's variant of Nagle: a short segment sent is unacknowledged. */
static bool atcp_minshall_check(const struct atcp_sock *ap)
{
	return after(ap->snd_sml, ap->snd_una) &&
	       !after(ap->snd_sml, ap->snd_nxt);
}

/*
 * Must a part-filled segment wait (tcp_nagle_check)?  Corked, it waits;
 * under Nagle, while a short segment sent is unacknowledged.
 */
static bool atcp_nagle_check(bool partial, const struct atcp_sock *ap,
			     int nonagle)
{
	return partial &&
	       ((nonagle & ATCP_NAGLE_CORK) ||
		(!nonagle && atcp_flight(ap) && atcp_minshall_check(ap)));
}

/*
 * May a segment no longer than the MSS go now (tcp_nagle_test)?  A push
 * sends it, and so does a FIN in it, or urgent data unacknowledged.
 */
static bool atcp_nagle_test(const struct atcp_sock *ap,
			    const struct sk_buff *skb, u32 mss, int nonagle)
{
	if (nonagle & ATCP_NAGLE_PUSH)
		return true;
	if (ap->urg_mode || (ATCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN))
		return true;
	return !atcp_nagle_check(skb->len < mss, ap, nonagle);
}

/*
 * Does the first segment of skb, its FIN too if that is all, fit in the
 * peer's window (tcp_snd_wnd_test)?  A window smaller than the segment
 * gets nothing until the probe timer fills it (sender-side silly window
 * avoidance).
 */
static bool atcp_snd_wnd_test(const struct atcp_sock *ap,
			      const struct sk_buff *skb, u32 mss)
{
	u32 end_seq = ATCP_SKB_CB(skb)->end_seq;

	/* Our SYN: there is no window yet (tcp_connect sends it as is). */
	if (unlikely(ATCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN))
		return true;
	if (skb->len > mss)
		end_seq = ATCP_SKB_CB(skb)->seq + mss;
	return !after(end_seq, ap->snd_una + ap->snd_wnd);
}

/*
 * How many segments TCP would send as one GSO packet (tcp_tso_segs,
 * tcp_tso_autosize): about a millisecond's worth at the pacing rate TCP
 * would have (tcp_update_pacing_rate: twice cwnd per RTT in slow start,
 * 1.2 times after), plus up to 64 KiB when the path's least RTT is short;
 * at least two, at most what the route's device takes.  This decides
 * where TCP's PSH falls in bulk data, and how large a super-segment is.
 */
static u32 atcp_tso_segs(const struct sock *sk, u32 mss)
{
	const struct atcp_sock *ap = atcp_sk(sk);
	u32 packets_out = DIV_ROUND_UP(atcp_flight(ap), mss);
	u64 rate = (u64)mss * ((USEC_PER_SEC / 100) << 3);
	u64 bytes;
	u32 r;

	rate *= ap->snd_cwnd < ap->snd_ssthresh / 2 ? 200 : 120;
	rate *= max(ap->snd_cwnd, packets_out);
	if (ap->srtt_us)
		rate = div_u64(rate, ap->srtt_us);
	rate = min_t(u64, rate, READ_ONCE(sk->sk_max_pacing_rate));
	bytes = rate >> READ_ONCE(sk->sk_pacing_shift);
	r = (ap->min_rtt_us ? : ~0U) >> 9;
	if (r < BITS_PER_TYPE(u32))
		bytes += ATCP_GSO_MAX_SIZE >> r;
	bytes = min_t(u64, bytes, ATCP_GSO_MAX_SIZE);
	if (!sk_can_gso(sk))
		return max_t(u32, div_u64(bytes, mss), 2);
	/* What the route's device takes in one (sk_setup_caps()). */
	bytes = min_t(u64, bytes, sk->sk_gso_max_size);
	return min_t(u32, max_t(u32, div_u64(bytes, mss), 2),
		     max_t(u32, sk->sk_gso_max_segs, 1));
}

/*
 * The segments the congestion window lets go in one GSO packet
 * (tcp_cwnd_test): at most half of it, so that at least two are in
 * flight; a last FIN goes whatever the window.
 */
static u32 atcp_cwnd_quota(const struct atcp_sock *ap,
			   const struct sk_buff *skb, u32 in_flight, u32 mss)
{
	u32 segs = DIV_ROUND_UP(in_flight, mss);

	if ((ATCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN) && skb->len <= mss)
		return 1;
	if (segs >= ap->snd_cwnd)
		return 0;
	return min(max(ap->snd_cwnd >> 1, 1U), ap->snd_cwnd - segs);
}

/*
 * How much of an skb longer than the MSS goes now as one GSO packet
 * (tcp_mss_split_point): max_segs segments, or what the window takes, but
 * a part-filled last segment only if Nagle lets it go.
 */
static u32 atcp_mss_split_point(const struct sock *sk,
				const struct sk_buff *skb, u32 mss,
				u32 max_segs, int nonagle)
{
	const struct atcp_sock *ap = atcp_sk(sk);
	u32 window = ap->snd_una + ap->snd_wnd - ATCP_SKB_CB(skb)->seq;
	u32 max_len = mss * max_segs;
	u32 needed, partial;

	if (max_len <= window && !skb_queue_is_last(&sk->sk_write_queue, skb))
		return max_len;
	needed = min(skb->len, window);
	if (max_len <= needed)
		return max_len;
	partial = needed % mss;
	if (atcp_nagle_check(partial, ap, nonagle))
		return needed - partial;
	return needed;
}

/* New data left: the send head moves on (tcp_event_new_data_sent). */
static void atcp_event_new_data_sent(struct sock *sk, struct sk_buff *skb)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);

	ap->snd_nxt = cb->end_seq;
	if (after(ap->snd_nxt, ap->snd_max))
		ap->snd_max = ap->snd_nxt;
	ap->bytes_sent += skb->len;
	ap->send_head = skb_queue_is_last(&sk->sk_write_queue, skb) ?
			NULL : skb_queue_next(&sk->sk_write_queue, skb);
}

/*
 * Send the first limit bytes of skb, the send head: what TCP sends as one
 * GSO packet.  Where the route takes super-segments it goes as one (the
 * write queue keeps it as one skb until SACKs, losses or a partial ACK
 * need it cut: atcp_fragment()); elsewhere as one skb a segment of at most
 * mss.  As TCP forces PSH on such a packet of more than one segment (to
 * flush the receiver's GRO), its last segment carries PSH.  Returns how
 * many segments left.
 */
static int atcp_xmit_chunk(struct sock *sk, struct sk_buff *skb, u32 limit,
			   u32 mss, u32 *in_flight)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 end = ATCP_SKB_CB(skb)->seq + limit;
	u8 gso_push = limit > mss ? TCPHDR_PSH : 0;
	u32 seg_len = sk_can_gso(sk) ? limit : mss;
	int segs = 0;

	for (;;) {
		struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
		u32 len = min_t(u32, seg_len, end - cb->seq);

		if (skb->len > len && atcp_fragment(sk, skb, len))
			break;
		if (skb->len && !atcp_flight(ap))
			atcp_ca_event(sk, ATCP_CA_EVENT_TX_START);
		if (__atcp_transmit_skb(sk, skb, true, sk->sk_allocation,
					cb->seq + skb->len == end ? gso_push : 0,
					mss))
			break;
		atcp_event_new_data_sent(sk, skb);
		cb->seg_size = skb->len > mss ? mss : 0;
		len = max_t(u32, DIV_ROUND_UP(skb->len, mss), 1);
		if (atcp_in_cwnd_reduction(ap))
			ap->prr_out += len;
		/* Minshall: remember the last short segment (tcp_minshall_update). */
		if (skb->len < len * mss)
			ap->snd_sml = cb->end_seq;
		*in_flight += cb->end_seq - cb->seq;
		segs += len;
		skb = ap->send_head;
		if (!skb || !before(ATCP_SKB_CB(skb)->seq, end))
			break;
	}
	return segs;
}

/*
 * Send what the windows, Nagle and the cork allow (tcp_write_xmit): each
 * skb from the send head, the first segment of which fits the window, as
 * much of it as the window and Nagle let go.  A part-filled segment at
 * the end of the queue waits while corked, or under Nagle while a short
 * segment is unacknowledged; one inside the queue goes, no more can join
 * it.  First what recovery takes as lost; a loss probe sends one new
 * segment whatever the congestion window says.
 */
static void __atcp_write_xmit(struct sock *sk, int nonagle, bool probe)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	u32 mss = atcp_current_mss(sk);
	u32 in_flight = atcp_in_flight(sk);
	bool sent = false, cwnd_limited = false;
	u32 prior_flight = atcp_flight(ap);
	struct sk_buff *skb;

	if (!probe)
		atcp_xmit_retransmit_queue(sk, mss, &in_flight);

	while ((skb = ap->send_head) != NULL) {
		u32 quota = atcp_cwnd_quota(ap, skb, in_flight, mss);
		u32 limit;

		if (probe && sent)
			break;
		if (probe)
			quota = 1;
		if (!quota) {
			cwnd_limited = true;
			break;
		}
		if (!atcp_snd_wnd_test(ap, skb, mss))
			break;
		if (skb->len <= mss) {
			if (!atcp_nagle_test(ap, skb, mss,
					     skb_queue_is_last(&sk->sk_write_queue, skb) ?
					     nonagle : ATCP_NAGLE_PUSH))
				break;
			limit = skb->len;
		} else if (ap->urg_mode) {
			/* A super-segment would repeat URG in every part. */
			limit = mss;
		} else {
			limit = atcp_mss_split_point(sk, skb, mss,
						     min(quota, atcp_tso_segs(sk, mss)),
						     nonagle);
		}
		if (!atcp_xmit_chunk(sk, skb, limit, mss, &in_flight))
			break;
		sent = true;
	}

	/* Retransmissions count too: they fill the window as much. */
	cwnd_limited |= in_flight >= ap->snd_cwnd * mss;
	if (sent || cwnd_limited)
		atcp_cwnd_validate(sk, cwnd_limited);
	if (sent && !probe) {
		/*
		 * The RTO runs from the first of a flight, and takes over
		 * from the window and loss probes; then the loss probe, in
		 * Open state, comes first (tcp_event_new_data_sent).
		 */
		if (!prior_flight || !icsk->icsk_pending ||
		    icsk->icsk_pending == ICSK_TIME_PROBE0 ||
		    icsk->icsk_pending == ICSK_TIME_LOSS_PROBE)
			atcp_reset_rto(sk);
		atcp_schedule_loss_probe(sk);
	}
	if (ap->send_head && !atcp_flight(ap) && !icsk->icsk_pending) {
		/*
		 * Data waits with nothing in flight, for a closed window,
		 * Nagle or a cork: the probe timer sends it, or probes the
		 * window (tcp_check_probe_timer).
		 */
		inet_csk_reset_xmit_timer(sk, ICSK_TIME_PROBE0,
					  max_t(u32, inet_csk(sk)->icsk_rto,
						ATCP_RTO_MIN),
					  ATCP_PROBE_MAX);
	}
}

static void atcp_write_xmit(struct sock *sk, int nonagle)
{
	__atcp_write_xmit(sk, nonagle, false);
}

/**
 * atcp_write_xmit_probe() - TLP: one new segment, as a probe
 * @sk: the socket
 *
 * tcp_write_xmit's push_one == 2.
 *
 * Context: the socket owned (the loss probe timer).
 */
void atcp_write_xmit_probe(struct sock *sk)
{
	__atcp_write_xmit(sk, ATCP_NAGLE_PUSH, true);
}

/**
 * atcp_push() - send what may go now
 * @sk: the socket, owned
 * @nonagle: ATCP_NAGLE_* for this push: the socket's own
 *	     (atcp_push_pending_frames()), or a write's
 *
 * Context: the socket owned by the caller (lock_sock(), or bh_lock_sock() in
 * softirq and timers); checked under lockdep.
 */
void atcp_push(struct sock *sk, int nonagle)
{
	struct atcp_sock *ap = atcp_sk(sk);

	sock_owned_by_me(sk);

	/* In recovery there may be retransmissions to send, if nothing new. */
	if (!ap->send_head && ap->ca_state == ATCP_CA_OPEN)
		return;
	atcp_write_xmit(sk, nonagle);
}

/**
 * atcp_write_wakeup() - the probe timer's segment (tcp_write_wakeup)
 * @sk: the socket, with data queued and nothing in flight
 *
 * If the window has room, the first segment goes, as much of it as the
 * window takes, with PSH: Nagle or a cork held it, the window was too
 * small for a whole segment, or its first transmission failed locally
 * (no route, a netfilter drop).  Otherwise a zero-window probe.
 * Context: the probe timer, the socket owned (bh_lock_sock() with no user
 * owner, or atcp_release_cb()).
 * Return: true if data went out.
 */
bool atcp_write_wakeup(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *skb = ap->send_head;
	u32 wnd_end = ap->snd_una + ap->snd_wnd;

	if (skb && before(ATCP_SKB_CB(skb)->seq, wnd_end)) {
		struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
		u32 mss = atcp_current_mss(sk);
		u32 seg_size = wnd_end - cb->seq;

		if (before(ap->pushed_seq, cb->end_seq))
			ap->pushed_seq = cb->end_seq;
		if (seg_size < cb->end_seq - cb->seq || skb->len > mss) {
			seg_size = min(seg_size, mss);
			cb->tcp_flags |= TCPHDR_PSH;
			if (atcp_fragment(sk, skb, seg_size))
				return false;
		}
		cb->tcp_flags |= TCPHDR_PSH;
		if (skb->len && !atcp_flight(ap))
			atcp_ca_event(sk, ATCP_CA_EVENT_TX_START);
		if (atcp_transmit_skb(sk, skb, GFP_ATOMIC))
			return false;
		atcp_event_new_data_sent(sk, skb);
		atcp_reset_rto(sk);
		return true;
	}
	/* One at snd_una to carry the urgent pointer, as TCP sends. */
	if (ap->urg_mode &&
	    between(ap->snd_up, ap->snd_una + 1, ap->snd_una + 0xFFFF))
		atcp_send_urg_probe(sk);
	atcp_send_probe(sk, true);
	return false;
}

/**
 * atcp_send_fin() - queue our FIN, and send what may go
 * @sk: the socket
 *
 * The FIN rides on the last unsent segment if there is one.
 *
 * Context: process context, the socket owned (close(), shutdown());
 * checked under lockdep.
 */
void atcp_send_fin(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *tail = skb_peek_tail(&sk->sk_write_queue);

	sock_owned_by_me(sk);

	if (ap->fin_queued)
		return;
	if (tail && ap->send_head && !(ATCP_SKB_CB(tail)->tcp_flags & TCPHDR_SYN)) {
		ATCP_SKB_CB(tail)->tcp_flags |= TCPHDR_FIN;
		ATCP_SKB_CB(tail)->end_seq++;
	} else {
		struct sk_buff *skb;

		skb = atcp_stream_alloc_skb(sk, sk_gfp_mask(sk, GFP_ATOMIC |
							     __GFP_NOWARN),
					    true);
		if (unlikely(!skb))
			return;
		ATCP_SKB_CB(skb)->seq = ap->write_seq;
		ATCP_SKB_CB(skb)->end_seq = ap->write_seq + 1;
		ATCP_SKB_CB(skb)->tcp_flags = TCPHDR_FIN | TCPHDR_ACK;
		atcp_entail(sk, skb);
	}
	ap->write_seq++;
	ap->fin_queued = 1;
	atcp_write_xmit(sk, ATCP_NAGLE_PUSH);
}

/* Sequence space and windows for a new active open. */
static void atcp_connect_init(struct sock *sk)
{
	struct dst_entry *dst = __sk_dst_get(sk);
	struct atcp_sock *ap = atcp_sk(sk);

	ap->advmss = dst_metric_advmss(dst);
	if (ap->uopt.user_mss && ap->uopt.user_mss < ap->advmss)
		ap->advmss = ap->uopt.user_mss;
	ap->wscale_ok = 1;
	ap->sack_ok = 1;
	ap->ts_ok = 1;
	ap->ts_offset = get_random_u32();
	atcp_init_rcv_wnd(sk);
	atcp_sync_mss(sk, dst_mtu(dst));
	inet_csk(sk)->icsk_ack.rcv_mss = min_t(u32, ap->advmss, ATCP_MSS_DEFAULT);

	ap->snd_una = ap->iss;
	ap->snd_nxt = ap->iss;
	ap->snd_max = ap->iss;
	ap->snd_sml = ap->iss;
	ap->write_seq = ap->iss;
	ap->snd_wnd = 0;
	ap->rcv_nxt = 0;
	ap->rcv_wup = 0;
	ap->copied_seq = 0;
	inet_csk(sk)->icsk_rto = ATCP_TIMEOUT_INIT;
	inet_csk(sk)->icsk_retransmits = 0;
	sock_reset_flag(sk, SOCK_DONE);
}

/**
 * atcp_connect() - send our SYN
 * @sk: the socket, in SYN_SENT
 *
 * The SYN is queued, so that the retransmission timer can resend it.
 *
 * Context: process context, the socket owned (atcp_v4_connect()).
 * Return: 0, or -ENOBUFS.
 */
int atcp_connect(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *skb;

	atcp_connect_init(sk);
	skb = atcp_stream_alloc_skb(sk, sk->sk_allocation, true);
	if (unlikely(!skb))
		return -ENOBUFS;
	ATCP_SKB_CB(skb)->seq = ap->iss;
	ATCP_SKB_CB(skb)->end_seq = ap->iss + 1;
	ATCP_SKB_CB(skb)->tcp_flags = TCPHDR_SYN;
	atcp_ecn_send_syn(sk, skb);
	ap->write_seq = ap->iss + 1;
	ap->pushed_seq = ap->write_seq;
	/* TCP_USER_TIMEOUT counts from the first SYN (tcp_connect). */
	ap->retrans_stamp = tcp_jiffies32 ? : 1;
	atcp_entail(sk, skb);
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_ACTIVE_OPENS);
	atcp_write_xmit(sk, ATCP_NAGLE_PUSH);
	return 0;
}

/**
 * atcp_send_synack() - simultaneous open: our SYN goes out again as a SYN-ACK
 * @sk: the socket, in SYN_RECV
 *
 * Context: the socket owned by the caller (the receive path).
 * Return: 0, -EINVAL when no SYN is queued, or the IP layer's negative
 * errno.
 */
int atcp_send_synack(struct sock *sk)
{
	struct sk_buff *skb = skb_peek(&sk->sk_write_queue);

	if (!skb || !(ATCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN))
		return -EINVAL;
	ATCP_SKB_CB(skb)->tcp_flags |= TCPHDR_ACK;
	/* ECE alone says yes to the peer's ECN (tcp_ecn_send_synack). */
	ATCP_SKB_CB(skb)->tcp_flags &= ~TCPHDR_CWR;
	if (!(atcp_sk(sk)->ecn_flags & ATCP_ECN_OK))
		ATCP_SKB_CB(skb)->tcp_flags &= ~TCPHDR_ECE;
	return atcp_transmit_skb(sk, skb, GFP_ATOMIC);
}

