// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: what a segment means, whatever its address family.
 *
 * The family's handler (ipv4.c) validates a segment and finds its socket;
 * then one function per kind of socket decides what the segment means: a
 * listener (atcp_listen_rcv), a request sock (minisocks.c), a TIME_WAIT
 * minisocket (minisocks.c), or a full socket (atcp_rcv_state_process),
 * which follows RFC 9293 section 3.10.7 step by step.  Here too: the ACK
 * (what it acknowledges, its RTT sample, its window), when our ACKs go
 * out, and the receive queue; the out-of-order queue is ofo.c's, what a
 * loss means recovery.c's.
 */
#include <linux/module.h>
#include <net/inet_common.h>
#include <net/tcp_states.h>

#include "atcp.h"
#include "trace.h"

static void atcp_drop(struct sock *sk, struct sk_buff *skb, int reason)
{
	ATCP_INC_STATS(sock_net(sk), reason);
	kfree_skb(skb);
}

/**
 * atcp_parse_options() - parse the options of a received segment
 * @skb: the segment
 * @th: its TCP header, doff already checked against the skb's length
 * @opt: filled in; zeroed first.  A malformed list sets ->bad
 *
 * MSS, window scale, SACK-permitted, SACK blocks (their offset from @th,
 * for atcp_sacktag()) and timestamps, as tcp_parse_options().
 *
 * Context: any context; touches no socket.
 */
void atcp_parse_options(const struct sk_buff *skb, const struct tcphdr *th,
			struct atcp_options *opt)
{
	const unsigned char *ptr = (const unsigned char *)(th + 1);
	int length = (th->doff * 4) - sizeof(struct tcphdr);

	memset(opt, 0, sizeof(*opt));
	while (length > 0) {
		int opcode = *ptr++;
		int opsize;

		switch (opcode) {
		case TCPOPT_EOL:
			return;
		case TCPOPT_NOP:
			length--;
			continue;
		default:
			if (length < 2) {
				opt->bad = 1;
				return;
			}
			opsize = *ptr++;
			if (opsize < 2 || opsize > length) {
				opt->bad = 1;
				return;
			}
			switch (opcode) {
			case TCPOPT_MSS:
				if (opsize == TCPOLEN_MSS && th->syn)
					opt->mss = get_unaligned_be16(ptr);
				break;
			case TCPOPT_WINDOW:
				if (opsize == TCPOLEN_WINDOW && th->syn) {
					opt->wscale_ok = 1;
					opt->wscale = min_t(u8, *ptr, ATCP_MAX_WSCALE);
				}
				break;
			case TCPOPT_SACK_PERM:
				if (opsize == TCPOLEN_SACK_PERM && th->syn)
					opt->sack_ok = 1;
				break;
			case TCPOPT_TIMESTAMP:
				if (opsize == TCPOLEN_TIMESTAMP) {
					opt->ts_ok = 1;
					opt->tsval = get_unaligned_be32(ptr);
					opt->tsecr = get_unaligned_be32(ptr + 4);
				}
				break;
			case TCPOPT_SACK:
				if (opsize >= TCPOLEN_SACK_BASE + TCPOLEN_SACK_PERBLOCK &&
				    !((opsize - TCPOLEN_SACK_BASE) % TCPOLEN_SACK_PERBLOCK)) {
					int n = (opsize - TCPOLEN_SACK_BASE) /
						TCPOLEN_SACK_PERBLOCK;
					int i;

					n = min(n, 4);
					for (i = 0; i < n; i++) {
						const u8 *blk = ptr + 8 * i;

						opt->sack[i][0] = get_unaligned_be32(blk);
						opt->sack[i][1] = get_unaligned_be32(blk + 4);
					}
					opt->num_sacks = n;
					opt->sack_off = ptr - 2 -
						(const unsigned char *)th;
				} else {
					opt->bad = 1;
				}
				break;
			}
			ptr += opsize - 2;
			length -= opsize;
		}
	}
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_parse_options);

/**
 * atcp_sequence_ok() - is any part of the segment inside the window?
 * @ap: the socket
 * @seq: the segment's first sequence number
 * @end_seq: its end (seq + SYN + length + FIN)
 *
 * RFC 9293 3.10.7.4's acceptability test, against [rcv_wup, the window's
 * right edge] (tcp_sequence): the edge is never taken before rcv_nxt, so a
 * zero or shrunk window still takes a segment at rcv_nxt.
 *
 * Context: the socket owned by the caller (the receive path).
 * Return: true if the segment is acceptable.
 */
ATCP_VISIBLE_FOR_KUNIT bool atcp_sequence_ok(const struct atcp_sock *ap,
					     u32 seq, u32 end_seq)
{
	u32 wnd_end = ap->rcv_wup + ap->rcv_wnd;

	if (before(wnd_end, ap->rcv_nxt))
		wnd_end = ap->rcv_nxt;
	return !before(end_seq, ap->rcv_wup) && !after(seq, wnd_end);
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_sequence_ok);

static u32 atcp_receive_window(const struct atcp_sock *ap)
{
	s32 win = ap->rcv_wup + ap->rcv_wnd - ap->rcv_nxt;

	return win < 0 ? 0 : win;
}

/**
 * atcp_oow_rate_limited_at() - is an out-of-window ACK to be held back?
 * @net: the namespace (its invalid_ratelimit)
 * @last_oow_ack_time: the socket's or request sock's time of the last one,
 *	updated when this one may go
 *
 * An ACK answering a segment outside the window, or a challenge: at most
 * one per socket or request sock every invalid_ratelimit, so that two
 * endpoints cannot loop ACKs at each other and a flood of spoofed segments
 * does not turn into a flood of ACKs (__tcp_oow_rate_limited).
 *
 * Context: any context; lockless for request socks and TIME_WAIT
 * minisockets, hence the _ONCE accesses.
 * Return: true if the ACK is not to be sent.
 */
bool atcp_oow_rate_limited_at(struct net *net, u32 *last_oow_ack_time)
{
	u32 interval = READ_ONCE(atcp_pernet(net)->invalid_ratelimit);
	u32 last = READ_ONCE(*last_oow_ack_time);
	u32 now = tcp_jiffies32;

	if (last) {
		s32 elapsed = now - last;

		if (elapsed >= 0 && elapsed < msecs_to_jiffies(interval)) {
			ATCP_INC_STATS(net, ATCP_MIB_OOW_ACKS_SKIPPED);
			return true;
		}
	}
	WRITE_ONCE(*last_oow_ack_time, now ? : 1);
	return false;
}

/* Data without a SYN is no part of an ACK loop: only the rest is limited. */
static bool atcp_oow_rate_limited(struct sock *sk, const struct sk_buff *skb)
{
	const struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);

	if (cb->seq != cb->end_seq && !(cb->tcp_flags & TCPHDR_SYN))
		return false;
	return atcp_oow_rate_limited_at(sock_net(sk),
					&atcp_sk(sk)->last_oow_ack_time);
}

/**
 * atcp_challenge_ack_allowed() - may the namespace send one more challenge ACK?
 * @net: the namespace
 *
 * RFC 5961 section 7: the namespace sends at most about challenge_ack_limit
 * challenge ACKs a second, a number drawn anew each second between half and
 * one and a half times the limit, so that an off-path observer cannot count
 * what is left (CVE-2016-5696).
 *
 * Context: any context; lockless (the namespace's counter and second are
 * updated with _ONCE accesses, races only miscount by one).
 * Return: true if this challenge ACK may go (and is counted).
 */
bool atcp_challenge_ack_allowed(struct net *net)
{
	struct atcp_net *an = atcp_pernet(net);
	u32 limit = READ_ONCE(an->challenge_ack_limit);
	u32 now, count;

	if (limit == INT_MAX)
		return true;
	now = jiffies / HZ;
	if (now != READ_ONCE(an->challenge_timestamp)) {
		WRITE_ONCE(an->challenge_timestamp, now);
		WRITE_ONCE(an->challenge_count,
			   ((limit + 1) >> 1) + get_random_u32_below(limit));
	}
	count = READ_ONCE(an->challenge_count);
	if (!count)
		return false;
	WRITE_ONCE(an->challenge_count, count - 1);
	return true;
}

/* Every challenge counts against the socket first, data or not. */
static void atcp_send_challenge_ack(struct sock *sk)
{
	struct net *net = sock_net(sk);

	if (atcp_oow_rate_limited_at(net, &atcp_sk(sk)->last_oow_ack_time) ||
	    !atcp_challenge_ack_allowed(net))
		return;
	ATCP_INC_STATS(net, ATCP_MIB_CHALLENGE_ACKS);
	trace_atcp_ack(sk, atcp_sk(sk)->rcv_nxt, ATCP_ACK_CHALLENGE, 0);
	atcp_send_ack(sk);
}

static void atcp_send_dupack(struct sock *sk, const struct sk_buff *skb)
{
	const struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
	u32 rcv_nxt = atcp_sk(sk)->rcv_nxt;

	/* Data we had already: report it (RFC 2883), as tcp_send_dupack. */
	if (cb->seq != cb->end_seq && before(cb->seq, rcv_nxt))
		atcp_dsack_set(sk, cb->seq,
			       after(cb->end_seq, rcv_nxt) ? rcv_nxt : cb->end_seq);
	atcp_enter_quickack_mode(sk, ATCP_MAX_QUICKACKS);
	trace_atcp_ack(sk, atcp_sk(sk)->rcv_nxt, ATCP_ACK_DUP, 0);
	atcp_send_ack(sk);
}

/* Quick-ack mode: ACK the next segments at once (tcp_incr_quickack). */
static void atcp_incr_quickack(struct sock *sk, unsigned int max_quickacks)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	unsigned int quickacks;

	quickacks = atcp_sk(sk)->rcv_wnd / (2 * max_t(u32, icsk->icsk_ack.rcv_mss, 1));
	if (quickacks == 0)
		quickacks = 2;
	quickacks = min(quickacks, max_quickacks);
	if (quickacks > icsk->icsk_ack.quick)
		icsk->icsk_ack.quick = quickacks;
}

static u32 atcp_delack_min(const struct sock *sk)
{
	return msecs_to_jiffies(READ_ONCE(atcp_sk_net(sk)->delack_min));
}

/**
 * atcp_enter_quickack_mode() - ACK the next segments at once
 * @sk: the socket
 * @max_quickacks: how many at most
 *
 * Out of pingpong, with the ACK timeout back at delack_min, as
 * tcp_enter_quickack_mode(): after out-of-order data, a CE mark, or
 * anything else that wants the sender to hear soon.
 *
 * Context: the socket owned by the caller, or softirq with it locked.
 */
void atcp_enter_quickack_mode(struct sock *sk, unsigned int max_quickacks)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	atcp_incr_quickack(sk, max_quickacks);
	inet_csk_exit_pingpong_mode(sk);
	icsk->icsk_ack.ato = atcp_delack_min(sk);
}

/*
 * Learn the peer's segment size for ACK decisions, and whether it pushes
 * small segments (ICSK_ACK_PUSHED), as tcp_measure_rcv_mss() does.
 */
static void atcp_measure_rcv_mss(struct sock *sk, const struct sk_buff *skb)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	unsigned int lss = icsk->icsk_ack.last_seg_size;
	/* Of a super-segment (from loopback, veth or GRO), one segment. */
	unsigned int len = skb_shinfo(skb)->gso_size ? : skb->len;

	icsk->icsk_ack.last_seg_size = 0;
	if (len >= icsk->icsk_ack.rcv_mss) {
		icsk->icsk_ack.rcv_mss = min_t(unsigned int, len, ap->advmss);
		/* A full segment with PSH ends a write: ACK once it is read. */
		if (ATCP_SKB_CB(skb)->tcp_flags & TCPHDR_PSH)
			icsk->icsk_ack.pending |= ICSK_ACK_PUSHED;
		return;
	}
	/* Two short segments of one size in a row: that is the peer's MSS. */
	if (len >= ATCP_MSS_DEFAULT ||
	    (len >= ATCP_MIN_MSS &&
	     !(ATCP_SKB_CB(skb)->tcp_flags & (TCPHDR_PSH | TCPHDR_URG |
						TCPHDR_FIN | TCPHDR_SYN)))) {
		icsk->icsk_ack.last_seg_size = len;
		if (len == lss) {
			icsk->icsk_ack.rcv_mss = len;
			return;
		}
	}
	if (icsk->icsk_ack.pending & ICSK_ACK_PUSHED)
		icsk->icsk_ack.pending |= ICSK_ACK_PUSHED2;
	icsk->icsk_ack.pending |= ICSK_ACK_PUSHED;
}

/*
 * A sample of the receiver's RTT (tcp_rcv_rtt_update): without
 * timestamps (win_dep) only a lower one counts, since a sender stalled
 * by its application stretches the sample; with them, smoothed by 1/8.
 */
static void atcp_rcv_rtt_update(struct atcp_sock *ap, u32 sample, bool win_dep)
{
	u32 old = ap->rcv_rtt_us;
	u32 m = min_t(u32, sample, U32_MAX >> 3) << 3;

	if (!old || m < old)
		ap->rcv_rtt_us = m;
	else if (!win_dep)
		ap->rcv_rtt_us = old - (old >> 3) + sample;
}

/*
 * Without timestamps: the time a window's worth of data takes to arrive
 * is an RTT (tcp_rcv_rtt_measure, after Dynamic Right-Sizing).
 */
static void atcp_rcv_rtt_measure(struct atcp_sock *ap)
{
	u32 now = tcp_clock_us();

	if (ap->rcv_rtt_time) {
		if (before(ap->rcv_nxt, ap->rcv_rtt_seq))
			return;
		atcp_rcv_rtt_update(ap, max_t(u32, now - ap->rcv_rtt_time, 1),
				    true);
	}
	ap->rcv_rtt_seq = ap->rcv_nxt + ap->rcv_wnd;
	ap->rcv_rtt_time = now ? : 1;
}

/*
 * With timestamps: a full segment echoing a new TSval of ours measures
 * the RTT (tcp_rcv_rtt_measure_ts).
 */
static void atcp_rcv_rtt_measure_ts(struct sock *sk, const struct sk_buff *skb)
{
	const struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
	struct atcp_sock *ap = atcp_sk(sk);
	u32 delta;

	if (!ap->ts_ok || !cb->has_ts || !cb->tsecr ||
	    cb->tsecr == ap->rcv_rtt_last_tsecr)
		return;
	ap->rcv_rtt_last_tsecr = cb->tsecr;
	if (cb->end_seq - cb->seq < inet_csk(sk)->icsk_ack.rcv_mss)
		return;
	delta = atcp_ts_now() + ap->ts_offset - cb->tsecr;
	if (delta < INT_MAX / (USEC_PER_SEC / ATCP_TS_HZ))
		atcp_rcv_rtt_update(ap, max(delta, 1U) *
				    (USEC_PER_SEC / ATCP_TS_HZ), false);
}

/**
 * atcp_init_buffer_space() - the buffers of a connection just established
 * @sk: the socket
 *
 * The send buffer for the initial window (unless SO_SNDBUF set it); the
 * window's bound, the whole buffer's window less one segment kept for
 * the application; and the first round of receive autotuning, what a
 * first RTT may carry (tcp_init_buffer_space, with Linux's default
 * tcp_app_win).
 * Context: the socket owned by the caller.
 */
void atcp_init_buffer_space(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 maxwin = max(atcp_full_space(sk), 0);

	if (!(sk->sk_userlocks & SOCK_SNDBUF_LOCK))
		atcp_sndbuf_expand(sk);
	ap->rcvq_time = tcp_clock_us();
	ap->rcvq_seq = ap->copied_seq;

	if (ap->window_clamp >= maxwin)
		ap->window_clamp = maxwin;
	if (ap->window_clamp > 2 * ap->advmss &&
	    ap->window_clamp + ap->advmss > maxwin)
		ap->window_clamp = max(2 * ap->advmss, maxwin - ap->advmss);

	ap->rcv_ssthresh = min(ap->rcv_ssthresh, ap->window_clamp);
	ap->rcvq_space = min3(ap->rcv_ssthresh, ap->rcv_wnd,
			      ATCP_INIT_CWND * ap->advmss);
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_init_buffer_space);

/*
 * The memory an skb of in-order data costs, less its head where the
 * payload is all in page fragments: the head is freed or shared when the
 * skb is coalesced (truesize_adjust).
 */
static u32 atcp_truesize_adjust(bool adjust, const struct sk_buff *skb)
{
	u32 truesize = skb->truesize;

	if (adjust && !skb_headlen(skb)) {
		truesize -= SKB_TRUESIZE(skb_end_offset(skb));
		if (unlikely((int)truesize < (int)skb->len))
			truesize = skb->truesize;
	}
	return truesize;
}

/*
 * Would the window, grown, still fit the buffer if every segment cost
 * what this one does?  The further rcv_ssthresh is below the largest
 * buffer, the worse a ratio of payload to memory it accepts (Linux's
 * check #2, __tcp_grow_window).  Returns the growth, 0: none.
 */
static int __atcp_grow_window(const struct sock *sk, const struct sk_buff *skb,
			      u32 skbtruesize)
{
	const struct atcp_sock *ap = atcp_sk(sk);
	int truesize = atcp_win_from_space(skbtruesize) >> 1;
	int window = atcp_win_from_space(READ_ONCE(atcp_sk_net(sk)->rmem[2])) >> 1;

	while (ap->rcv_ssthresh <= window) {
		if (truesize <= skb->len)
			return 2 * inet_csk(sk)->icsk_ack.rcv_mss;
		truesize >>= 1;
		window >>= 1;
	}
	return 0;
}

/**
 * atcp_grow_window() - let the offered window grow after a segment came
 * @sk: the receiving socket
 * @skb: the segment, queued and charged
 * @adjust: in order: its head may be freed by coalescing
 *
 * By at least two segments, up to the buffer's free window, while what
 * the segments cost in memory shows that the window offered will fit
 * (tcp_grow_window, without its quick ACK).  Under memory pressure the
 * window shrinks instead.
 * Context: the socket owned by the caller (the receive path).
 */
void atcp_grow_window(struct sock *sk, const struct sk_buff *skb, bool adjust)
{
	struct atcp_sock *ap = atcp_sk(sk);
	int room = min_t(int, ap->window_clamp, atcp_space(sk)) -
		   ap->rcv_ssthresh;
	u32 truesize;
	int incr;

	if (room <= 0)
		return;
	if (sk_under_memory_pressure(sk)) {
		atcp_adjust_rcv_ssthresh(sk, 4U * ap->advmss);
		return;
	}
	truesize = atcp_truesize_adjust(adjust, skb);
	if (atcp_win_from_space(truesize) <= skb->len)
		incr = 2 * ap->advmss;
	else
		incr = __atcp_grow_window(sk, skb, truesize);
	/*
	 * Linux also owes the sender a quick ACK here; SPEC 5 keeps quick
	 * ACKs to a connection's first segments and the end of an idle
	 * period, so a growing window does not bring an ACK a segment.
	 */
	if (incr) {
		incr = max_t(int, incr, 2 * skb->len);
		ap->rcv_ssthresh += min(room, incr);
	}
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_grow_window);

/**
 * atcp_clamp_window() - the receive buffer is full: bound the window
 * @sk: the receiving socket
 *
 * If more is queued than the buffer holds, the window grows again from
 * two segments (tcp_clamp_window).  Unlike Linux, the buffer is not grown
 * here to what is queued: atcp takes data up to twice the buffer before it
 * prunes (atcp_rmem_full()), so growing it too would double the bound.
 * Context: the socket owned by the caller (the receive path).
 */
void atcp_clamp_window(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);

	inet_csk(sk)->icsk_ack.quick = 0;
	if (atomic_read(&sk->sk_rmem_alloc) > sk->sk_rcvbuf)
		ap->rcv_ssthresh = min(ap->window_clamp, 2U * ap->advmss);
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_clamp_window);

/**
 * atcp_rcv_space_adjust() - grow the receive buffer to what the path needs
 * @sk: the socket, owned, after the application read from it
 *
 * Once per receiver RTT: if the application read more in it than in the
 * one before, the buffer grows to twice that (for losses), more for a
 * sender still in slow start, counted in the skb memory each segment
 * costs (tcp_rcv_space_adjust).  Never above net.atcp.rmem's maximum,
 * never with SO_RCVBUF set, net.atcp.moderate_rcvbuf 0, or atcp's memory
 * at or above net.atcp.mem's first value.  The window's bound follows the
 * buffer up.  The buffer never shrinks here.
 * Context: the socket owned by the caller.
 */
void atcp_rcv_space_adjust(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct atcp_net *an = atcp_sk_net(sk);
	u32 now = tcp_clock_us();
	u32 copied;

	if (!ap->rcv_rtt_us || now - ap->rcvq_time < (ap->rcv_rtt_us >> 3))
		return;

	/* Bytes read in the last RTT */
	copied = ap->copied_seq - ap->rcvq_seq;
	if (copied <= ap->rcvq_space)
		goto new_measure;

	if (READ_ONCE(an->moderate_rcvbuf) && ap->advmss &&
	    !(sk->sk_userlocks & SOCK_RCVBUF_LOCK) &&
	    !sk_under_memory_pressure(sk) &&
	    sk_memory_allocated(sk) < sk_prot_mem_limits(sk, 0)) {
		u64 rcvwin, grow;
		int rcvmem, rcvbuf;

		/* Twice what came, for losses, and a cushion */
		rcvwin = ((u64)copied << 1) + 16 * ap->advmss;
		/* A sender in slow start doubles each RTT */
		grow = rcvwin * (copied - ap->rcvq_space);
		do_div(grow, max(ap->rcvq_space, 1U));
		rcvwin += grow << 1;

		/* What a segment costs, of which half is window */
		rcvmem = SKB_TRUESIZE(ap->advmss + ATCP_MAX_HEADER);
		while (rcvmem - (rcvmem >> 1) < ap->advmss)
			rcvmem += 128;

		do_div(rcvwin, ap->advmss);
		rcvbuf = min_t(u64, rcvwin * rcvmem, READ_ONCE(an->rmem[2]));
		if (rcvbuf > sk->sk_rcvbuf) {
			WRITE_ONCE(sk->sk_rcvbuf, rcvbuf);
			/* The window's bound follows the buffer. */
			ap->window_clamp = atcp_win_from_space(rcvbuf);
		}
	}
	ap->rcvq_space = copied;

new_measure:
	ap->rcvq_seq = ap->copied_seq;
	ap->rcvq_time = now;
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_rcv_space_adjust);

/**
 * atcp_event_data_recv() - in-order data arrived: schedule an ACK
 * @sk: the socket
 * @skb: the segment whose data was queued
 *
 * Adapts the delayed-ACK timeout (ATO) to the inter-arrival time, within
 * [delack_min, rto], measures the peer's MSS and lets the offered window
 * grow (tcp_event_data_recv).
 *
 * Context: the socket owned by the caller (the receive path).
 */
ATCP_VISIBLE_FOR_KUNIT void atcp_event_data_recv(struct sock *sk,
						 struct sk_buff *skb)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	u32 ato_min = atcp_delack_min(sk);
	u32 now = tcp_jiffies32;

	inet_csk_schedule_ack(sk);
	atcp_measure_rcv_mss(sk, skb);
	atcp_rcv_rtt_measure_ts(sk, skb);
	atcp_rcv_rtt_measure(atcp_sk(sk));

	if (!icsk->icsk_ack.ato) {
		atcp_incr_quickack(sk, ATCP_MAX_QUICKACKS);
		icsk->icsk_ack.ato = ato_min;
	} else {
		int m = now - icsk->icsk_ack.lrcvtime;

		if (m <= ato_min / 2) {
			icsk->icsk_ack.ato = (icsk->icsk_ack.ato >> 1) + ato_min / 2;
		} else if (m < icsk->icsk_ack.ato) {
			icsk->icsk_ack.ato = (icsk->icsk_ack.ato >> 1) + m;
			if (icsk->icsk_ack.ato > icsk->icsk_rto)
				icsk->icsk_ack.ato = icsk->icsk_rto;
		} else if (m > icsk->icsk_rto) {
			/* A long gap: the sender restarted; ACK quickly again. */
			atcp_incr_quickack(sk, ATCP_MAX_QUICKACKS);
		}
	}
	icsk->icsk_ack.lrcvtime = now;

	if (skb->len >= 128)
		atcp_grow_window(sk, skb, true);
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_event_data_recv);

static bool atcp_in_quickack_mode(struct sock *sk)
{
	return inet_csk(sk)->icsk_ack.quick && !inet_csk_in_pingpong_mode(sk);
}

/* Send the scheduled ACK now, or arm the delayed-ACK timer. */
static void atcp_ack_snd_check(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	int reason;

	if (!inet_csk_ack_scheduled(sk))
		return;

	/*
	 * Two full segments: at once, whatever the window (SPEC 5; Linux
	 * waits for the application's read where the ACK would not move
	 * the window's right edge, and so stretches ACKs).
	 */
	if (ap->rcv_nxt - ap->rcv_wup > icsk->icsk_ack.rcv_mss)
		reason = ATCP_ACK_TWO_FULL;
	else if (atcp_in_quickack_mode(sk))
		reason = ATCP_ACK_QUICK;
	else if (icsk->icsk_ack.pending & ICSK_ACK_NOW)
		reason = ATCP_ACK_NOW_FLAG;
	else if (!RB_EMPTY_ROOT(&ap->ofo_root))
		reason = ATCP_ACK_OFO;
	else
		reason = ATCP_ACK_DELAYED;

	if (reason == ATCP_ACK_DELAYED) {
		atcp_send_delayed_ack(sk);
		return;
	}
	ap->quick_acks++;
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_QUICK_ACKS);
	trace_atcp_ack(sk, ap->rcv_nxt, reason, 0);
	atcp_send_ack(sk);
}

/*
 * RFC 9293 3.10.7.4 step 5: does this segment carry the newest window?
 * (tcp_may_update_window: a zero window is always news.)
 */
static bool atcp_may_update_window(const struct atcp_sock *ap, u32 ack,
				   u32 seq, u32 nwin)
{
	return after(ack, ap->snd_una) || after(seq, ap->snd_wl1) ||
	       (seq == ap->snd_wl1 && (nwin > ap->snd_wnd || !nwin));
}

/*
 * A pure duplicate ACK that changes no window, with a TSval within an RTO
 * of ts_recent, may simply have been overtaken on the way: PAWS lets it
 * through (tcp_disordered_ack).
 */
static bool atcp_disordered_ack(const struct sock *sk,
				const struct sk_buff *skb)
{
	const struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
	const struct atcp_sock *ap = atcp_sk(sk);

	return (cb->tcp_flags & TCPHDR_ACK) && cb->seq == cb->end_seq &&
	       cb->seq == ap->rcv_nxt && cb->ack_seq == ap->snd_una &&
	       !atcp_may_update_window(ap, cb->ack_seq, cb->seq,
				       (u32)cb->window << ap->snd_wscale) &&
	       (s32)(ap->ts_recent - cb->tsval) <=
	       (s32)(inet_csk(sk)->icsk_rto * 1024 / HZ);
}

/* PAWS: an old duplicate, to be dropped (tcp_paws_discard). */
static bool atcp_paws_discard(const struct sock *sk, const struct sk_buff *skb)
{
	const struct atcp_sock *ap = atcp_sk(sk);

	return !atcp_paws_check(ap->ts_recent, ap->ts_recent_stamp,
				ATCP_SKB_CB(skb)->tsval, ATCP_PAWS_WINDOW) &&
	       !atcp_disordered_ack(sk, skb);
}

/**
 * atcp_rtt_sample() - one RTT sample: update SRTT, RTTVAR and the RTO
 * @sk: the socket
 * @rtt_us: the sample, in microseconds; ignored unless positive
 *
 * RFC 6298 section 2, the RTO kept within [rto_min, ATCP_RTO_MAX].
 *
 * Context: the socket owned by the caller (the receive path, or a child
 * being made from its request sock, not yet reachable by anyone else).
 */
void atcp_rtt_sample(struct sock *sk, long rtt_us)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 rto_min_us = jiffies_to_usecs(inet_csk(sk)->icsk_rto_min);

	if (rtt_us <= 0)
		rtt_us = 1;
	ap->rtt_last_us = rtt_us;
	atcp_update_min_rtt(ap, rtt_us);
	if (!ap->srtt_us) {
		ap->srtt_us = rtt_us << 3;
		ap->mdev_us = rtt_us << 1;
	} else {
		long err = rtt_us - (ap->srtt_us >> 3);

		ap->srtt_us += err;
		if (err < 0)
			err = -err;
		ap->mdev_us += err - (ap->mdev_us >> 2);
	}
	ap->rttvar_us = max(ap->mdev_us, rto_min_us);
	inet_csk(sk)->icsk_rto = atcp_rto_from_rtt(ap);
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_rtt_sample);

/*
 * Free what the peer acknowledged, telling RACK of what it delivered; take
 * an RTT sample: from a segment sent once (Karn's rule), else from the
 * timestamp the ACK echoes (RFC 7323 section 4), so that retransmissions
 * alone still bring a backed-off RTO back down.  tsecr 0: no timestamp.
 * *flags gains ATCP_ACKF_ORIG_DELIVERED if data never resent was ACKed.
 */
static u32 atcp_clean_rtx_queue(struct sock *sk, u32 ack, u32 tsecr,
				u32 prior_fack, unsigned int *flags)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 reord = prior_fack;
	long rtt_us = -1;
	struct sk_buff *skb;
	u32 segs = 0;

	while ((skb = skb_peek(&sk->sk_write_queue)) != NULL &&
	       skb != ap->send_head) {
		struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
		bool partial = after(cb->end_seq, ack);
		u32 acked = atcp_skb_segs(skb);

		/*
		 * Part of a super-segment: that part goes now (tcp_tso_acked);
		 * part of one segment stays until the rest is acknowledged.
		 */
		if (partial && (!after(ack, cb->seq) ||
				!cb->seg_size || skb->len <= cb->seg_size ||
				atcp_trim_head(sk, skb, ack - cb->seq)))
			break;
		/* Within its first segment: nothing delivered yet. */
		if (partial) {
			acked -= atcp_skb_segs(skb);
			if (!acked)
				break;
		}
		if (!cb->retrans)
			rtt_us = (u32)tcp_clock_us() - cb->sent;
		else
			rtt_us = -1;
		segs += acked;
		if (partial) {
			if (!(cb->sacked & ATCP_SACKED_ACKED))
				atcp_rack_advance(sk, skb, acked);
			if (!cb->retrans)
				*flags |= ATCP_ACKF_ORIG_DELIVERED;
			break;
		}
		if (cb->sacked & ATCP_SACKED_ACKED) {
			ap->sacked_out--;
		} else {
			atcp_rack_advance(sk, skb, acked);
			if (!cb->retrans) {
				*flags |= ATCP_ACKF_ORIG_DELIVERED;
				if (before(cb->seq, reord))
					reord = cb->seq;
			}
		}
		if (cb->sacked & ATCP_SACKED_LOST)
			ap->lost_marked--;
		__skb_unlink(skb, &sk->sk_write_queue);
		atcp_wmem_free_skb(sk, skb);
	}
	/* An original filled a hole below SACKed data: reordering. */
	if (before(reord, prior_fack))
		atcp_check_reordering(sk, reord);
	if (!after(ap->highest_sack, ack))
		ap->highest_sack = ack;
	if (rtt_us < 0 && segs && tsecr) {
		s32 rtt_ms = atcp_ts_now() + ap->ts_offset - tsecr;

		/* A millisecond clock: 0 means under one (tcp_ack_update_rtt). */
		if (rtt_ms >= 0 && rtt_ms < jiffies_to_msecs(ATCP_RTO_MAX))
			rtt_us = max(rtt_ms, 1) * USEC_PER_MSEC;
	}
	if (rtt_us >= 0)
		atcp_rtt_sample(sk, rtt_us);
	if (segs && ap->ca_ops->pkts_acked)
		ap->ca_ops->pkts_acked(sk, segs, rtt_us >= 0 ? rtt_us : -1);
	return segs;
}

/*
 * An ACK while nothing is in flight, probing a window (tcp_ack_probe): if
 * the window now takes the data waiting, probing ends and its backoff
 * with it; if not, the probe timer starts over from this answer.
 */
static void atcp_ack_probe(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *head = ap->send_head;

	if (!head)
		return;
	if (!after(ATCP_SKB_CB(head)->end_seq, ap->snd_una + ap->snd_wnd)) {
		icsk->icsk_backoff = 0;
		icsk->icsk_probes_tstamp = 0;
		inet_csk_clear_xmit_timer(sk, ICSK_TIME_PROBE0);
	} else {
		inet_csk_reset_xmit_timer(sk, ICSK_TIME_PROBE0,
					  atcp_probe0_when(sk), ATCP_PROBE_MAX);
	}
}

/* What atcp_ack() made of a segment's ACK field (tcp_ack's <0, 0, >0). */
enum atcp_ack_field {
	ATCP_ACK_FIELD_DROP,	/* unacceptable: drop the segment */
	ATCP_ACK_FIELD_OLD,	/* old or duplicate, the window unchanged */
	ATCP_ACK_FIELD_MOVED,	/* snd_una advanced or the window changed */
};

/*
 * Step 5 of RFC 9293 3.10.7.4, the ACK field: what it acknowledged
 * (enum atcp_ack_field).
 */
static enum atcp_ack_field atcp_ack(struct sock *sk, const struct sk_buff *skb)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	const struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
	u32 ack = cb->ack_seq;
	u32 prior_una = ap->snd_una;
	/* The highest SACKed before this ACK (tcp_ack's prior_fack). */
	u32 prior_fack = ap->sacked_out ? ap->highest_sack : prior_una;
	u32 prior_flight = atcp_flight(ap);
	u32 nwin = cb->window;
	u32 tsecr = ap->ts_ok && cb->has_ts ? cb->tsecr : 0;
	u32 prior_delivered = ap->delivered;
	bool window_changed = false;
	unsigned int flags = 0;
	u32 acked_segs;

	if (before(ack, prior_una)) {
		/*
		 * RFC 5961 5.2: far too old is an injection attempt; no
		 * older than the bytes acknowledged so far, whatever the
		 * window (tcp_ack).
		 */
		u32 max_window = min_t(u64, ap->max_window, ap->bytes_acked);

		if (before(ack, prior_una - max_window)) {
			atcp_send_challenge_ack(sk);
			ATCP_INC_STATS(sock_net(sk), ATCP_MIB_DROP_BAD_ACK);
			return ATCP_ACK_FIELD_DROP;
		}
		return ATCP_ACK_FIELD_OLD;
	}
	if (after(ack, ap->snd_max)) {
		atcp_send_challenge_ack(sk);
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_DROP_BAD_ACK);
		return ATCP_ACK_FIELD_DROP;
	}

	/* RFC 7323 4.3: ts_recent moves once the segment is known good. */
	if (cb->has_ts && ap->ts_ok && !after(cb->seq, ap->rcv_wup) &&
	    atcp_paws_check(ap->ts_recent, ap->ts_recent_stamp, cb->tsval, 0)) {
		ap->ts_recent = cb->tsval;
		ap->ts_recent_stamp = ktime_get_seconds();
	}

	ap->rcv_tstamp = tcp_jiffies32;
	icsk->icsk_probes_out = 0;

	if (!(cb->tcp_flags & TCPHDR_SYN))
		nwin <<= ap->snd_wscale;
	if (atcp_may_update_window(ap, ack, cb->seq, nwin)) {
		if (ap->snd_wnd != nwin)
			window_changed = true;
		ap->snd_wnd = nwin;
		ap->snd_wl1 = cb->seq;
		ap->snd_wl2 = ack;
		/* A larger window may take larger segments (tcp_ack_update_window). */
		if (nwin > ap->max_window) {
			ap->max_window = nwin;
			atcp_sync_mss(sk, icsk->icsk_pmtu_cookie);
		}
	}

	if (ap->sack_ok && cb->sack_off)
		flags = atcp_sacktag(sk, skb, ack);
	if ((cb->tcp_flags & TCPHDR_ECE) && !(cb->tcp_flags & TCPHDR_SYN) &&
	    (ap->ecn_flags & ATCP_ECN_OK))
		flags |= ATCP_ACKF_ECE;
	/* A CWR is taken on any acceptable ACK, data or not (tcp_ack). */
	atcp_ecn_accept_cwr(sk, skb);

	if (ack == prior_una) {
		/* RFC 5681 section 2: a duplicate ACK. */
		if (atcp_flight(ap) && !window_changed &&
		    cb->seq == cb->end_seq && !(cb->tcp_flags & (TCPHDR_SYN | TCPHDR_FIN))) {
			ap->dup_acks++;
			ap->dup_acks_in++;
			/* Without SACK, each says a segment left the network. */
			if (!ap->sack_ok)
				ap->delivered++;
		}
		if (!prior_flight)
			atcp_ack_probe(sk);
		atcp_recovery_ack(sk, prior_una, ack, prior_delivered, 0, tsecr,
				  flags);
		return window_changed ? ATCP_ACK_FIELD_MOVED : ATCP_ACK_FIELD_OLD;
	}

	ap->bytes_acked += ack - prior_una;
	ap->snd_una = ack;
	/* Our urgent data is all acknowledged: no more URG (tcp_clean_rtx_queue). */
	if (unlikely(ap->urg_mode) && between(ap->snd_up, prior_una, ack))
		ap->urg_mode = 0;
	if (after(ack, ap->snd_nxt))
		ap->snd_nxt = ack;
	ap->dup_acks = 0;
	acked_segs = atcp_clean_rtx_queue(sk, ack, tsecr, prior_fack, &flags);
	icsk->icsk_retransmits = 0;
	icsk->icsk_backoff = 0;
	ap->retrans_stamp = 0;

	/* The tail loss probe, else the RTO; recovery may arm RACK's timer. */
	if (!atcp_flight(ap))
		inet_csk_clear_xmit_timer(sk, ICSK_TIME_RETRANS);
	else if (!atcp_schedule_loss_probe(sk))
		atcp_reset_rto(sk);
	atcp_recovery_ack(sk, prior_una, ack, prior_delivered, acked_segs,
			  tsecr, flags);
	return ATCP_ACK_FIELD_MOVED;
}

void atcp_reset(struct sock *sk)
{
	int err;

	switch (sk->sk_state) {
	case TCP_SYN_SENT:
		err = ECONNREFUSED;
		break;
	case TCP_CLOSE_WAIT:
		err = EPIPE;
		break;
	case TCP_CLOSE:
		return;
	default:
		err = ECONNRESET;
	}
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_ESTAB_RESETS);
	atcp_done_with_error(sk, err);
}

/**
 * atcp_fin_wait2_arm() - the orphan's FIN was acknowledged: FIN_WAIT_2 lasts
 *	fin_timeout
 * @sk: the socket, orphaned, in FIN_WAIT_2
 *
 * Context: the socket owned by the caller (the receive path, or
 * atcp_close() under bh_lock_sock()).
 */
void atcp_fin_wait2_arm(struct sock *sk)
{
	inet_csk_reset_keepalive_timer(sk, atcp_fin_timeout(sk));
}

/* RFC 9293 3.10.7.4 step 8: our peer will send no more. */
static void atcp_fin(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);

	inet_csk_schedule_ack(sk);
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	sock_set_flag(sk, SOCK_DONE);

	switch (sk->sk_state) {
	case TCP_SYN_RECV:
	case TCP_ESTABLISHED:
		atcp_set_state(sk, TCP_CLOSE_WAIT);
		/* Delay the ACK so that a prompt close() carries it. */
		inet_csk_enter_pingpong_mode(sk);
		break;
	case TCP_CLOSE_WAIT:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		break;
	case TCP_FIN_WAIT1:
		/* Simultaneous close: ACK their FIN, wait for ours. */
		trace_atcp_ack(sk, ap->rcv_nxt, ATCP_ACK_STATE, 0);
		atcp_send_ack(sk);
		atcp_set_state(sk, TCP_CLOSING);
		break;
	case TCP_FIN_WAIT2:
		trace_atcp_ack(sk, ap->rcv_nxt, ATCP_ACK_STATE, 0);
		atcp_send_ack(sk);
		atcp_time_wait(sk, TCP_TIME_WAIT, 0);
		break;
	default:
		break;
	}

	/* Nothing after a FIN belongs to the stream. */
	atcp_ofo_purge(sk);

	if (!sock_flag(sk, SOCK_DEAD)) {
		sk->sk_state_change(sk);
		if (sk->sk_shutdown == SHUTDOWN_MASK || sk->sk_state == TCP_CLOSE)
			sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_HUP);
		else
			sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_IN);
	}
}

/**
 * atcp_queue_rcv() - take an in-order segment and advance rcv_nxt
 * @sk: the receiving socket
 * @skb: the segment, its header pulled, its memory scheduled; consumed
 *
 * Its payload joins the receive queue, coalesced into the last skb where
 * the skbs allow; a FIN is acted on.  The segment may overlap what was
 * taken already: recvmsg() skips what it has read.
 * Context: the socket owned.
 */
void atcp_queue_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct atcp_sock *ap = atcp_sk(sk);
	const struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
	bool fin = cb->tcp_flags & TCPHDR_FIN;
	bool fragstolen, eaten;
	struct sk_buff *tail;

	ap->bytes_received += cb->end_seq - fin - ap->rcv_nxt;
	WRITE_ONCE(ap->rcv_nxt, cb->end_seq);
	if (!skb->len) {
		consume_skb(skb);
	} else {
		tail = skb_peek_tail(&sk->sk_receive_queue);
		eaten = tail && atcp_try_coalesce(sk, tail, skb, &fragstolen);
		if (!eaten) {
			skb_set_owner_r(skb, sk);
			__skb_queue_tail(&sk->sk_receive_queue, skb);
		}
		/* After the charge: the window grows from what is left. */
		atcp_event_data_recv(sk, skb);
		if (eaten)
			kfree_skb_partial(skb, fragstolen);
	}
	if (fin)
		atcp_fin(sk);
}

/**
 * atcp_rmem_full() - would skb overflow the receive buffer's bound?
 * @sk: the receiving socket
 * @skb: the segment to be taken
 *
 * Data inside the window we advertised is taken even past sk_rcvbuf: the
 * window never shrinks, and skb overhead can outgrow the half of the
 * buffer it was offered against.  Twice the buffer bounds it all.
 * Context: the socket owned by the caller (the receive path).
 * Return: true if it would.
 */
bool atcp_rmem_full(const struct sock *sk, const struct sk_buff *skb)
{
	return atomic_read(&sk->sk_rmem_alloc) + skb->truesize >
	       2 * (u32)READ_ONCE(sk->sk_rcvbuf);
}

/*
 * A new urgent pointer (tcp_check_urg).  It points past the urgent byte,
 * as BSD and Linux read it (Linux's tcp_stdurg 0): urg_ptr 0 and 1 both
 * mean the segment's first byte.  A pointer to what was read or taken
 * already, or not beyond the one we have, is ignored.  16 bits from the
 * segment's sequence number: never more than 64 KiB past it.
 */
static void atcp_check_urg(struct sock *sk, const struct tcphdr *th)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 ptr = ntohs(th->urg_ptr);

	if (ptr)
		ptr--;
	ptr += ntohl(th->seq);

	if (after(ap->copied_seq, ptr) || before(ptr, ap->rcv_nxt))
		return;
	if (ap->urg_data && !after(ptr, ap->urg_seq))
		return;

	sk_send_sigurg(sk);

	/*
	 * The old urgent byte, out of band and unread, is where the reader
	 * is: step over it, or it would be read as data once its mark is
	 * gone; and free its skb if it was that skb's last byte.
	 */
	if (ap->urg_seq == ap->copied_seq && ap->urg_data &&
	    !sock_flag(sk, SOCK_URGINLINE) && ap->copied_seq != ap->rcv_nxt) {
		struct sk_buff *skb = skb_peek(&sk->sk_receive_queue);

		WRITE_ONCE(ap->copied_seq, ap->copied_seq + 1);
		if (skb && !before(ap->copied_seq, ATCP_SKB_CB(skb)->end_seq)) {
			__skb_unlink(skb, &sk->sk_receive_queue);
			__kfree_skb(skb);
		}
	}

	WRITE_ONCE(ap->urg_data, TCP_URG_NOTYET);
	WRITE_ONCE(ap->urg_seq, ptr);
}

/*
 * Step 6: the URG bit (tcp_urg).  A new pointer is noted; the urgent
 * byte is taken from the first segment that holds it, in order or not.
 * The skb still has its header.
 */
static void atcp_urg(struct sock *sk, const struct sk_buff *skb,
		     const struct tcphdr *th)
{
	struct atcp_sock *ap = atcp_sk(sk);
	const struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
	u32 offset;
	u8 byte;

	if (unlikely(th->urg))
		atcp_check_urg(sk, th);
	if (likely(ap->urg_data != TCP_URG_NOTYET))
		return;
	offset = ap->urg_seq - (cb->seq + th->syn);
	if (offset >= skb->len - cb->header_len)
		return;
	if (skb_copy_bits(skb, cb->header_len + offset, &byte, 1))
		return;
	WRITE_ONCE(ap->urg_data, TCP_URG_VALID | byte);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
}

/* Step 7: the segment text.  Consumes the skb. */
static void atcp_data_queue(struct sock *sk, struct sk_buff *skb)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);

	if (cb->seq == cb->end_seq) {
		kfree_skb(skb);
		return;
	}
	__skb_pull(skb, cb->header_len);

	if (!after(cb->end_seq, ap->rcv_nxt)) {
		/* A retransmission of what we have: tell the peer at once. */
		atcp_send_dupack(sk, skb);
		kfree_skb(skb);
		return;
	}
	if (!before(cb->seq, ap->rcv_nxt + atcp_receive_window(ap)) ||
	    (skb->len && !atcp_receive_window(ap))) {
		atcp_send_dupack(sk, skb);
		atcp_drop(sk, skb, ATCP_MIB_DROP_OUT_OF_WINDOW);
		return;
	}
	if (after(cb->seq, ap->rcv_nxt)) {
		inet_csk_schedule_ack(sk);
		atcp_ecn_check_ce(sk, skb);
		if (atcp_try_rmem_schedule(sk, skb)) {
			atcp_drop(sk, skb, ATCP_MIB_OFO_DROPPED);
			return;
		}
		atcp_ofo_queue(sk, skb);
		return;
	}
	/* Its start was here already. */
	if (before(cb->seq, ap->rcv_nxt))
		atcp_dsack_set(sk, cb->seq, ap->rcv_nxt);
	/*
	 * In order.  The first segment of an empty receive queue is taken
	 * whatever the memory: the reader can always make progress.
	 */
	if (skb->len && !skb_queue_empty(&sk->sk_receive_queue) &&
	    atcp_try_rmem_schedule(sk, skb)) {
		atcp_drop(sk, skb, ATCP_MIB_DROP_RMEM);
		if (!sock_flag(sk, SOCK_DEAD))
			sk->sk_data_ready(sk);
		return;
	}

	if (skb->len)
		atcp_ecn_check_ce(sk, skb);
	atcp_queue_rcv(sk, skb);
	if (!RB_EMPTY_ROOT(&ap->ofo_root) && sk->sk_state != TCP_CLOSE) {
		atcp_ofo_drain(sk);
		/* RFC 5681 4.2: ACK at once when a hole is filled. */
		if (RB_EMPTY_ROOT(&ap->ofo_root)) {
			inet_csk(sk)->icsk_ack.pending |= ICSK_ACK_NOW;
			trace_atcp_ack(sk, ap->rcv_nxt, ATCP_ACK_HOLE_FILLED, 0);
		}
	}
	if (ap->num_sacks)
		atcp_sack_remove(ap);
	if (!sock_flag(sk, SOCK_DEAD))
		sk->sk_data_ready(sk);
}

/*
 * SYN_SENT: RFC 9293 3.10.7.3.  ATCP_SEG_RESET for an ACK of something we
 * never sent, ATCP_SEG_CONSUMED when the SYN-ACK opened the connection
 * (the skb is freed here), else ATCP_SEG_DROP.
 */
static enum atcp_verdict atcp_rcv_synsent(struct sock *sk, struct sk_buff *skb)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
	const struct tcphdr *th = tcp_hdr(skb);
	struct atcp_options opt;

	if (th->ack) {
		if (!after(cb->ack_seq, ap->iss) || after(cb->ack_seq, ap->snd_max))
			return th->rst ? ATCP_SEG_DROP : ATCP_SEG_RESET;
	}
	if (th->rst) {
		if (th->ack)
			atcp_reset(sk);
		return ATCP_SEG_DROP;
	}
	if (!th->syn)
		return ATCP_SEG_DROP;

	atcp_parse_options(skb, th, &opt);
	if (opt.bad) {
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_DROP_BAD_OPTIONS);
		return ATCP_SEG_DROP;
	}
	ap->irs = cb->seq;
	ap->rcv_nxt = cb->seq + 1;
	ap->copied_seq = ap->rcv_nxt;
	ap->rcv_wup = ap->rcv_nxt;
	ap->snd_wl1 = cb->seq;
	ap->snd_wnd = ntohs(th->window);
	ap->max_window = ap->snd_wnd;
	if (opt.mss)
		ap->rx_mss_clamp = opt.mss;
	if (opt.wscale_ok && ap->wscale_ok) {
		ap->snd_wscale = opt.wscale;
	} else {
		/* No scaling: our window is what 16 bits can say. */
		ap->wscale_ok = 0;
		ap->snd_wscale = 0;
		ap->rcv_wscale = 0;
		ap->window_clamp = min(ap->window_clamp, 65535U);
		ap->rcv_wnd = min(ap->rcv_wnd, 65535U);
	}
	ap->sack_ok = ap->sack_ok && opt.sack_ok;
	ap->ts_ok = ap->ts_ok && opt.ts_ok;
	if (ap->ts_ok) {
		ap->ts_recent = opt.tsval;
		ap->ts_recent_stamp = ktime_get_seconds();
	}
	atcp_ecn_rcv_synack(sk, th);

	if (th->ack) {
		/* Our SYN is acknowledged: the connection is open. */
		u32 isn = ap->snd_una;
		unsigned int flags = 0;

		ap->snd_una = cb->ack_seq;
		atcp_clean_rtx_queue(sk, cb->ack_seq, 0, isn, &flags);
		ap->retrans_stamp = 0;
		inet_csk(sk)->icsk_retransmits = 0;
		inet_csk_clear_xmit_timer(sk, ICSK_TIME_RETRANS);
		/* Not the route: a failed reroute may have dropped it. */
		atcp_sync_mss(sk, inet_csk(sk)->icsk_pmtu_cookie);
		atcp_set_state(sk, TCP_ESTABLISHED);
		atcp_init_transfer(sk);
		if (!sock_flag(sk, SOCK_DEAD)) {
			sk->sk_state_change(sk);
			sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
		}
		trace_atcp_ack(sk, ap->rcv_nxt, ATCP_ACK_STATE, 0);
		atcp_send_ack(sk);
		atcp_push_pending_frames(sk);
		kfree_skb(skb);
		return ATCP_SEG_CONSUMED;
	}

	/* Simultaneous open: both SYNs crossed. */
	atcp_set_state(sk, TCP_SYN_RECV);
	atcp_send_synack(sk);
	return ATCP_SEG_DROP;
}

/**
 * atcp_rcv_state_process() - one segment for a socket past LISTEN
 * @sk: the socket, in any state but LISTEN, TIME_WAIT and NEW_SYN_RECV
 * @skb: the segment, its atcp_skb_cb filled in by atcp_v4_rcv()
 *
 * RFC 9293 3.10.7.3 for SYN_SENT, 3.10.7.4 for the synchronized states:
 * PAWS, the sequence check, RST, SYN, the ACK field, the state changes
 * it makes, then the data and FIN; what is to send is pushed and the
 * ACK sent or scheduled (tcp_rcv_state_process).
 *
 * Context: the socket owned by the caller: softirq under bh_lock_sock()
 * with no user owner (atcp_v4_rcv(), atcp_child_process() on a new
 * child), or process context from the backlog (lock_sock()).
 * Return: ATCP_SEG_CONSUMED when the skb was queued or freed here,
 * ATCP_SEG_RESET when the caller is to answer with a RST and free it.
 */
enum atcp_verdict atcp_rcv_state_process(struct sock *sk, struct sk_buff *skb)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
	const struct tcphdr *th = tcp_hdr(skb);
	enum atcp_verdict verdict;

	sock_owned_by_me(sk);
	ap->segs_in += skb_shinfo(skb)->gso_segs ? : 1;
	if (sk->sk_state == TCP_CLOSE)
		goto discard;
	if (sk->sk_state == TCP_SYN_SENT) {
		verdict = atcp_rcv_synsent(sk, skb);
		if (verdict != ATCP_SEG_DROP)
			return verdict;
		goto discard;
	}

	/* RFC 7323 5.3: PAWS first; a RST is heard even if it fails. */
	if (cb->has_ts && ap->ts_ok && !th->rst && atcp_paws_discard(sk, skb)) {
		if (th->syn) {
			atcp_send_challenge_ack(sk);
		} else {
			ATCP_INC_STATS(sock_net(sk), ATCP_MIB_PAWS_ESTAB);
			if (!atcp_oow_rate_limited(sk, skb))
				atcp_send_dupack(sk, skb);
		}
		goto discard;
	}

	/* Step 1: sequence number. */
	if (!atcp_sequence_ok(ap, cb->seq, cb->end_seq)) {
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_DROP_OUT_OF_WINDOW);
		if (!th->rst) {
			if (th->syn)
				atcp_send_challenge_ack(sk);
			else if (!atcp_oow_rate_limited(sk, skb))
				atcp_send_dupack(sk, skb);
		}
		goto discard;
	}

	/* Step 2: RST (RFC 5961 3.2: only the exact sequence resets). */
	if (th->rst) {
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_IN_RSTS);
		if (cb->seq == ap->rcv_nxt)
			atcp_reset(sk);
		else
			atcp_send_challenge_ack(sk);
		goto discard;
	}

	/*
	 * Step 4: SYN in a synchronized state (RFC 5961 4.2).  Only the
	 * peer's bare SYN-ACK of a simultaneous open passes: anything it
	 * carried would sit where its SYN was (tcp_validate_incoming).
	 */
	if (th->syn) {
		bool simultaneous_synack = sk->sk_state == TCP_SYN_RECV &&
			th->ack && cb->seq + 1 == cb->end_seq &&
			cb->seq + 1 == ap->rcv_nxt &&
			cb->ack_seq == ap->snd_nxt;

		if (!simultaneous_synack) {
			atcp_send_challenge_ack(sk);
			goto discard;
		}
	}

	if (!th->ack) {
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_DROP_BAD_FLAGS);
		goto discard;
	}

	/* Step 5: ACK. */
	if (atcp_ack(sk, skb) == ATCP_ACK_FIELD_DROP)
		goto discard;

	switch (sk->sk_state) {
	case TCP_SYN_RECV:
		if (before(ap->snd_una, ap->iss + 1))
			return ATCP_SEG_RESET;
		atcp_set_state(sk, TCP_ESTABLISHED);
		atcp_init_transfer(sk);
		if (!sock_flag(sk, SOCK_DEAD)) {
			sk->sk_state_change(sk);
			if (sk->sk_socket)
				sk_wake_async(sk, SOCK_WAKE_IO, POLL_OUT);
		}
		break;
	case TCP_FIN_WAIT1:
		if (ap->snd_una != ap->write_seq || !ap->fin_queued)
			break;
		atcp_set_state(sk, TCP_FIN_WAIT2);
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | SEND_SHUTDOWN);
		if (!sock_flag(sk, SOCK_DEAD)) {
			sk->sk_state_change(sk);
			break;
		}
		if (ap->uopt.linger2 < 0) {
			atcp_done(sk);
			ATCP_INC_STATS(sock_net(sk), ATCP_MIB_ABORT_ON_DATA);
			return ATCP_SEG_RESET;
		}
		if (cb->end_seq != cb->seq &&
		    after(cb->end_seq - !!th->fin, ap->rcv_nxt)) {
			/* An orphan takes no more data. */
			atcp_done(sk);
			ATCP_INC_STATS(sock_net(sk), ATCP_MIB_ABORT_ON_DATA);
			return ATCP_SEG_RESET;
		}
		atcp_fin_wait2_arm(sk);
		break;
	case TCP_CLOSING:
		if (ap->snd_una == ap->write_seq && ap->fin_queued) {
			atcp_time_wait(sk, TCP_TIME_WAIT, 0);
			goto discard;
		}
		break;
	case TCP_LAST_ACK:
		if (ap->snd_una == ap->write_seq && ap->fin_queued) {
			atcp_done(sk);
			goto discard;
		}
		break;
	}

	/* Step 6: URG. */
	atcp_urg(sk, skb, th);

	/* Step 7: the text, and step 8: FIN. */
	switch (sk->sk_state) {
	case TCP_CLOSE_WAIT:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		if (!before(cb->seq, ap->rcv_nxt))
			goto ack_and_discard;
		fallthrough;
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
		if ((sk->sk_shutdown & RCV_SHUTDOWN) &&
		    cb->end_seq != cb->seq &&
		    after(cb->end_seq - !!th->fin, ap->rcv_nxt)) {
			/* Data after close(): abort (RFC 9293 3.10.7.4). */
			ATCP_INC_STATS(sock_net(sk), ATCP_MIB_ABORT_ON_DATA);
			atcp_reset(sk);
			return ATCP_SEG_RESET;
		}
		fallthrough;
	case TCP_ESTABLISHED:
		atcp_data_queue(sk, skb);
		skb = NULL;
		break;
	}

ack_and_discard:
	if (sk->sk_state != TCP_CLOSE) {
		atcp_push_pending_frames(sk);
		/* Writers wake once the data sent and acknowledged left room. */
		atcp_check_space(sk);
		atcp_ack_snd_check(sk);
	}
discard:
	kfree_skb(skb);
	return ATCP_SEG_CONSUMED;
}

/* A segment for a listener: only a SYN opens anything. */
static enum atcp_verdict atcp_listen_rcv(struct sock *sk, struct sk_buff *skb)
{
	const struct tcphdr *th = tcp_hdr(skb);

	if (th->ack) {
		/* The end of a handshake answered with a SYN cookie? */
		struct sock *child = atcp_cookie_check(sk, skb);

		if (child == sk)
			return ATCP_SEG_RESET;
		if (!child) {
			kfree_skb(skb);
			return ATCP_SEG_CONSUMED;
		}
		if (atcp_child_process(sk, child, skb) == ATCP_SEG_RESET) {
			atcp_v4_send_reset(child, skb);
			kfree_skb(skb);
		}
		return ATCP_SEG_CONSUMED;
	}
	if (th->rst || !th->syn || th->fin) {
		if (!th->rst)
			ATCP_INC_STATS(sock_net(sk), ATCP_MIB_DROP_BAD_FLAGS);
		kfree_skb(skb);
		return ATCP_SEG_CONSUMED;
	}
	atcp_v4_conn_request(sk, skb);
	consume_skb(skb);
	return ATCP_SEG_CONSUMED;
}

/**
 * atcp_v4_do_rcv() - one segment for a full socket
 * @sk: the socket the segment's 4-tuple found: a listener, or a socket
 *	past LISTEN
 * @skb: the segment, its atcp_skb_cb filled in by atcp_v4_rcv()
 *
 * A listener's segment goes to the SYN and SYN-cookie paths, any other
 * to atcp_rcv_state_process(); a segment that calls for a RST gets one.
 * The skb is consumed in every case.
 *
 * Context: a listener is not locked (as TCP's: its accept queue and
 * request socks have locks of their own), softirq.  Any other socket is
 * owned: softirq under bh_lock_sock() with no user owner (atcp_v4_rcv()),
 * or process context under lock_sock() when release_sock() runs the
 * backlog (the proto's backlog_rcv).
 * Return: 0, as backlog_rcv's callers expect.
 */
int atcp_v4_do_rcv(struct sock *sk, struct sk_buff *skb)
{
	enum atcp_verdict verdict;

	if (sk->sk_state == TCP_LISTEN)
		verdict = atcp_listen_rcv(sk, skb);
	else
		verdict = atcp_rcv_state_process(sk, skb);
	if (verdict == ATCP_SEG_RESET)
		atcp_v4_send_reset(sk, skb);
	if (verdict != ATCP_SEG_CONSUMED)
		kfree_skb(skb);
	return 0;
}
