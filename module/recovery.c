// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: loss recovery, as Linux 6.1's TCP does it.
 *
 * The scoreboard: each segment sent carries what is known of it
 * (ATCP_SACKED_*): SACKed (RFC 2018), taken as lost, retransmitted since.
 * A segment is taken as lost
 *   - by RACK (RFC 8985): a segment sent later has been delivered, and it
 *     has not been for an RTT plus a reordering window (a quarter of the
 *     least RTT, more after DSACKs show reordering) since it was sent; it
 *     applies to retransmissions as well, and a reordering timer catches
 *     what is not yet overdue;
 *   - without SACK, by NewReno (RFC 6582): DupThresh duplicate ACKs, then
 *     each partial ACK, mark the oldest;
 *   - at an RTO, every segment not SACKed.
 * A tail loss, with nothing sent after it to reveal it, is probed for after
 * two RTTs (TLP, RFC 8985 section 7) before the RTO.  Recovery sends what
 * is marked lost, oldest first, as the window allows; the window comes
 * down to the congestion control's threshold by Proportional Rate
 * Reduction (RFC 6937) rather than at once.  A reduction that DSACKs
 * (RFC 2883, RFC 3708) or the timestamps (Eifel, RFC 3522) show was
 * spurious is undone, and F-RTO (RFC 5682) tells a spurious timeout.
 *
 * How far the window moves is the congestion control's (cong.c).  All of
 * it runs with the socket owned.
 */
#include <linux/module.h>
#include <net/tcp_states.h>

#include "atcp.h"
#include "trace.h"

/* RACK's reordering window, in quarters of the least RTT (RFC 8985 6.2). */
#define ATCP_RACK_RECOVERY_THRESH	16	/* recoveries a wider one holds */

/* How long a segment has been out, in us, by the socket's clock. */
static u32 atcp_skb_age_us(const struct sk_buff *skb)
{
	return (u32)tcp_clock_us() - ATCP_SKB_CB(skb)->sent;
}

/* Was (t1, seq1) sent after (t2, seq2)?  Equal times go by sequence. */
static bool atcp_sent_after(u32 t1, u32 t2, u32 seq1, u32 seq2)
{
	return (s32)(t1 - t2) > 0 || (t1 == t2 && after(seq1, seq2));
}

/**
 * atcp_update_min_rtt() - keep the least RTT of the last five minutes
 * @ap: the sender
 * @rtt_us: an RTT sample, in us, of a segment sent once
 *
 * RACK's reordering window is a fraction of it (tcp_min_rtt).
 *
 * Context: the socket owned by the caller (the receive path).
 */
void atcp_update_min_rtt(struct atcp_sock *ap, u32 rtt_us)
{
	u32 now = tcp_jiffies32;

	if (!ap->min_rtt_us || rtt_us <= ap->min_rtt_us ||
	    (s32)(now - ap->min_rtt_stamp) > 300 * HZ) {
		ap->min_rtt_us = max(rtt_us, 1U);
		ap->min_rtt_stamp = now;
	}
}

/**
 * atcp_rack_advance() - a segment was delivered (SACKed or ACKed)
 * @sk: the sender
 * @skb: the segment
 * @segs: how many segments of it were delivered
 *
 * RACK keeps the send time of the most recently sent segment delivered,
 * and the RTT it took (RFC 8985 6.2 step 2).  A retransmission delivered
 * sooner than the least RTT may be the original's delivery: no sample.
 * Context: the socket owned.
 */
void atcp_rack_advance(struct sock *sk, const struct sk_buff *skb, u32 segs)
{
	const struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
	struct atcp_sock *ap = atcp_sk(sk);
	u32 rtt_us = atcp_skb_age_us(skb);

	ap->delivered += segs;
	if (cb->retrans && rtt_us < ap->min_rtt_us)
		return;
	if (!cb->retrans)
		atcp_update_min_rtt(ap, rtt_us);
	ap->rack_advanced = 1;
	ap->rack_rtt_us = rtt_us;
	if (atcp_sent_after(cb->sent, ap->rack_mstamp, cb->end_seq,
			    ap->rack_end_seq)) {
		ap->rack_mstamp = cb->sent;
		ap->rack_end_seq = cb->end_seq;
	}
}

/**
 * atcp_rack_reo_wnd() - RACK's reordering window
 * @sk: the socket
 *
 * RFC 8985 6.2 step 4: how long after it was sent a segment may still be
 * on its way.  With no reordering seen, none is allowed once recovery is on
 * or DupThresh segments are SACKed (tcp_rack_reo_wnd).
 *
 * Context: the socket owned by the caller.
 * Return: the window, in microseconds.
 */
ATCP_VISIBLE_FOR_KUNIT u32 atcp_rack_reo_wnd(const struct sock *sk)
{
	const struct atcp_sock *ap = atcp_sk(sk);
	int mode = READ_ONCE(atcp_sk_net(sk)->recovery);

	if (!ap->reord_seen &&
	    (ap->ca_state >= ATCP_CA_RECOVERY ||
	     (ap->sacked_out >= ap->reordering &&
	      !(mode & ATCP_RACK_NO_DUPTHRESH))))
		return 0;
	return min((ap->min_rtt_us >> 2) * ap->rack_reo_wnd_steps,
		   ap->srtt_us >> 3);
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_rack_reo_wnd);

/* Take skb as lost; a retransmission of it is lost as well. */
static void atcp_mark_skb_lost(struct sock *sk, struct sk_buff *skb)
{
	struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);

	if (cb->sacked & ATCP_SACKED_RETRANS) {
		cb->sacked &= ~ATCP_SACKED_RETRANS;
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_LOST_RETRANSMIT);
	}
	if (!(cb->sacked & ATCP_SACKED_LOST)) {
		cb->sacked |= ATCP_SACKED_LOST;
		atcp_sk(sk)->lost_marked++;
	}
}

/*
 * RFC 8985 6.2 step 5: every segment sent before the latest delivered one
 * and overdue by RACK.rtt + the reordering window is lost.  The write
 * queue is in sequence order, and so are the first sends; only
 * retransmissions are out of it.  Returns how many were marked;
 * *reo_timeout: the longest wait, in us, of those not yet overdue.
 */
static u32 atcp_rack_detect_loss(struct sock *sk, u32 *reo_timeout)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 reo_wnd = atcp_rack_reo_wnd(sk);
	struct sk_buff *skb;
	u32 marked = 0;

	*reo_timeout = 0;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
		s32 remaining;

		if (skb == ap->send_head)
			break;
		if ((cb->sacked & ATCP_SACKED_ACKED) ||
		    ((cb->sacked & ATCP_SACKED_LOST) &&
		     !(cb->sacked & ATCP_SACKED_RETRANS)))
			continue;
		if (!atcp_sent_after(ap->rack_mstamp, cb->sent,
				     ap->rack_end_seq, cb->end_seq)) {
			/*
			 * Segments sent once go out in sequence order: none
			 * after this one was sent earlier, nor was a later
			 * retransmission.  The walk ends here, as Linux's
			 * over its send-time list.
			 */
			if (!cb->retrans)
				break;
			continue;
		}
		remaining = ap->rack_rtt_us + reo_wnd - atcp_skb_age_us(skb);
		if (remaining <= 0) {
			atcp_mark_skb_lost(sk, skb);
			marked++;
		} else {
			*reo_timeout = max_t(u32, *reo_timeout, remaining);
		}
	}
	return marked;
}

/* RACK after an ACK that delivered something; arms the reordering timer. */
static u32 atcp_rack_mark_lost(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 timeout, marked;

	if (!ap->rack_advanced)
		return 0;
	ap->rack_advanced = 0;
	marked = atcp_rack_detect_loss(sk, &timeout);
	if (timeout)
		inet_csk_reset_xmit_timer(sk, ICSK_TIME_REO_TIMEOUT,
					  usecs_to_jiffies(timeout) + 1,
					  ATCP_RTO_MAX);
	return marked;
}

/*
 * RFC 6582: without SACK, DupThresh duplicate ACKs mark the oldest segment
 * lost, and in recovery so does each partial ACK (tcp_newreno_mark_lost).
 */
static u32 atcp_newreno_mark_lost(struct sock *sk, bool una_advanced)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *head = skb_peek(&sk->sk_write_queue);

	if (!head || head == ap->send_head ||
	    (ATCP_SKB_CB(head)->sacked & ATCP_SACKED_LOST))
		return 0;
	if ((ap->ca_state < ATCP_CA_RECOVERY && ap->dup_acks >= ap->reordering) ||
	    (ap->ca_state == ATCP_CA_RECOVERY && una_advanced)) {
		atcp_mark_skb_lost(sk, head);
		return 1;
	}
	return 0;
}

/**
 * atcp_sack_dupthresh_mark_lost() - RFC 6675 IsLost(), with RACK off
 * @sk: the socket
 *
 * With net.atcp.recovery off, a segment with DupThresh segments SACKed above
 * it is lost (tcp_mark_head_lost).
 *
 * Context: the socket owned by the caller (the receive path).
 * Return: how many segments were newly marked lost.
 */
ATCP_VISIBLE_FOR_KUNIT u32 atcp_sack_dupthresh_mark_lost(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 above = 0, marked = 0;
	struct sk_buff *skb;

	if (ap->sacked_out < ap->reordering)
		return 0;
	skb = ap->send_head ? ap->send_head->prev :
			      skb_peek_tail(&sk->sk_write_queue);
	for (; skb && skb != (struct sk_buff *)&sk->sk_write_queue;
	     skb = skb->prev) {
		struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);

		if (cb->sacked & ATCP_SACKED_ACKED) {
			above++;
		} else if (above >= ap->reordering &&
			   !(cb->sacked & ATCP_SACKED_LOST)) {
			atcp_mark_skb_lost(sk, skb);
			marked++;
		}
	}
	return marked;
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_sack_dupthresh_mark_lost);

/**
 * atcp_check_reordering() - a segment sent once arrived after later data
 * @sk: the socket
 * @low_seq: the lowest sequence number of what was delivered out of order
 *
 * A segment sent once reached the peer after data sent later than it, as a
 * SACK or the cumulative ACK shows: that was reordering, not loss.  Its
 * degree (segments from it to the highest SACKed, as
 * tcp_check_sack_reordering() measures it) becomes the DupThresh, so that
 * the same reordering does not start a recovery again; RACK counts it.
 *
 * Context: the socket owned by the caller (the receive path).
 */
void atcp_check_reordering(struct sock *sk, u32 low_seq)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 mss = max_t(u32, ap->mss_cache, 1);
	u32 metric = ap->highest_sack - low_seq;

	if (!before(low_seq, ap->highest_sack))
		return;
	if (metric > ap->reordering * mss)
		ap->reordering = min_t(u32, DIV_ROUND_UP(metric, mss),
				       ATCP_MAX_REORDERING);
	ap->reord_seen++;
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_REORDER_SEEN);
}

/*
 * RFC 2883 D-SACK: the first block below the cumulative ACK, or inside the
 * second block, reports data received twice.  A retransmission that
 * arrived twice was not needed: count it toward undo (RFC 3708), and let
 * RACK's reordering window grow, once an RTT (tcp_rack_update_reo_wnd).
 */
static void atcp_dsack(struct sock *sk, u32 start, u32 end)
{
	struct atcp_sock *ap = atcp_sk(sk);

	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_DSACK_RECV);
	if (!(READ_ONCE(atcp_sk_net(sk)->recovery) & ATCP_RACK_STATIC_REO_WND) &&
	    !before(ap->delivered, ap->rack_last_delivered)) {
		ap->rack_reo_wnd_steps = min_t(u32, 0xff,
					       ap->rack_reo_wnd_steps + 1);
		ap->rack_last_delivered = ap->delivered + ap->snd_cwnd;
		ap->rack_reo_wnd_persist = ATCP_RACK_RECOVERY_THRESH;
	}
	if (ap->undo_marker && !before(start, ap->undo_marker) &&
	    ap->undo_retrans > 0)
		ap->undo_retrans--;
}

/**
 * atcp_sacktag() - mark what an ACK's SACK blocks cover
 * @sk: the socket
 * @skb: the ACK, its atcp_skb_cb's sack_off pointing at the SACK option
 * @ack: the ACK's cumulative acknowledgment
 *
 * RFC 2018 sender: mark the segments inside the peer's SACK blocks, so
 * that recovery resends only the holes, and tell RACK of each delivered.
 * Blocks beyond what was sent are ignored; a D-SACK (a first block
 * starting below the ACK, or inside the second) is heard; a segment only
 * partly covered stays unmarked.
 *
 * Context: the socket owned by the caller (the receive path).
 * Return: ATCP_ACKF_* flags: new data SACKed, some of it never resent
 * (F-RTO's sign), a D-SACK.
 */
unsigned int atcp_sacktag(struct sock *sk, const struct sk_buff *skb, u32 ack)
{
	const unsigned char *ptr = (const unsigned char *)tcp_hdr(skb) +
				   ATCP_SKB_CB(skb)->sack_off;
	int n = (ptr[1] - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_PERBLOCK;
	struct atcp_sock *ap = atcp_sk(sk);
	u32 prior_fack, reord = ap->snd_max;
	u32 first_start = 0, first_end = 0;
	unsigned int flags = 0;
	struct sk_buff *pos;
	int i;

	if (!ap->sacked_out)
		ap->highest_sack = ap->snd_una;
	prior_fack = ap->highest_sack;
	ptr += TCPOLEN_SACK_BASE;
	for (i = 0; i < n; i++, ptr += TCPOLEN_SACK_PERBLOCK) {
		u32 start = get_unaligned_be32(ptr);
		u32 end = get_unaligned_be32(ptr + 4);

		if (!after(end, start))
			continue;
		if (i == 0) {
			first_start = start;
			first_end = end;
			if (before(start, ack)) {
				atcp_dsack(sk, start, end);
				flags |= ATCP_ACKF_DSACK;
				continue;
			}
		} else if (i == 1 && !before(first_start, start) &&
			   !after(first_end, end)) {
			atcp_dsack(sk, first_start, first_end);
			flags |= ATCP_ACKF_DSACK;
		}
		if (!after(start, ap->snd_una) || after(end, ap->snd_max))
			continue;
		skb_queue_walk(&sk->sk_write_queue, pos) {
			struct atcp_skb_cb *pcb = ATCP_SKB_CB(pos);

			if (pos == ap->send_head || !before(pcb->seq, end))
				break;
			/*
			 * A super-segment the block reaches into is cut a
			 * segment at a time: the scoreboard is kept in them.
			 */
			if (pcb->seg_size && pos->len > pcb->seg_size &&
			    after(pcb->end_seq, start) &&
			    !(pcb->sacked & ATCP_SACKED_ACKED) &&
			    atcp_fragment(sk, pos, pcb->seg_size))
				break;
			if (before(pcb->seq, start) || after(pcb->end_seq, end) ||
			    (pcb->sacked & ATCP_SACKED_ACKED))
				continue;
			if (pcb->sacked & ATCP_SACKED_LOST)
				ap->lost_marked--;
			pcb->sacked = ATCP_SACKED_ACKED;
			ap->sacked_out++;
			flags |= ATCP_ACKF_SACKED;
			ATCP_INC_STATS(sock_net(sk), ATCP_MIB_SACKED_SEGS);
			atcp_rack_advance(sk, pos, 1);
			if (!pcb->retrans) {
				flags |= ATCP_ACKF_ORIG_DELIVERED;
				if (before(pcb->seq, prior_fack) &&
				    before(pcb->seq, reord))
					reord = pcb->seq;
			}
			if (after(pcb->end_seq, ap->highest_sack))
				ap->highest_sack = pcb->end_seq;
		}
	}
	if (before(reord, ap->snd_max))
		atcp_check_reordering(sk, reord);
	return flags;
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_sacktag);

/* Start an episode that may turn out spurious (tcp_init_undo). */
static void atcp_init_undo(struct atcp_sock *ap)
{
	ap->undo_marker = ap->snd_una ? : 1;
	ap->undo_retrans = -1;
	ap->prior_ssthresh = ap->snd_ssthresh;
	ap->prior_cwnd = ap->snd_cwnd;
	ap->retrans_ts = 0;
}

/*
 * A reduction by PRR begins (tcp_init_cwnd_reduction): the threshold from
 * the congestion control, and CWR on the next new data of an ECN
 * connection.
 */
static void atcp_init_cwnd_reduction(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);

	ap->high_seq = ap->snd_max;
	ap->tlp_high_seq = 0;
	ap->snd_cwnd_cnt = 0;
	ap->prior_cwnd = ap->snd_cwnd;
	ap->prr_delivered = 0;
	ap->prr_out = 0;
	ap->snd_ssthresh = ap->ca_ops->ssthresh(sk);
	if (ap->ecn_flags & ATCP_ECN_OK)
		ap->ecn_flags |= ATCP_ECN_QUEUE_CWR;
}

/**
 * atcp_enter_cwr() - reduce the window for a congestion signal without loss
 * @sk: the sender
 *
 * An ECE (RFC 3168 6.1.2): the window comes down by PRR until what was
 * sent by now is acknowledged, once per round trip, and cannot be undone
 * (tcp_enter_cwr).  Nothing changes in Recovery or Loss, which reduce
 * already.
 *
 * Context: the socket owned.
 */
void atcp_enter_cwr(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);

	ap->prior_ssthresh = 0;
	if (ap->ca_state < ATCP_CA_CWR) {
		ap->undo_marker = 0;
		atcp_init_cwnd_reduction(sk);
		atcp_set_ca_state(sk, ATCP_CA_CWR);
	}
}

/*
 * RFC 6937: the reduction begins; the window comes down per ACK.  From
 * CWR, the reduction under way goes on (tcp_enter_recovery).
 */
static void atcp_enter_recovery(struct sock *sk, bool ece)
{
	struct atcp_sock *ap = atcp_sk(sk);
	bool in_cwr = ap->ca_state == ATCP_CA_CWR;
	u32 prior_cwnd = ap->prior_cwnd;

	atcp_init_undo(ap);
	if (in_cwr || ece)
		ap->prior_ssthresh = 0;
	if (in_cwr)
		ap->prior_cwnd = prior_cwnd;
	else
		atcp_init_cwnd_reduction(sk);
	atcp_set_ca_state(sk, ATCP_CA_RECOVERY);
	ap->fast_retrans++;
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_FAST_RETRANS);
	if (ap->sacked_out)
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_SACK_RECOVERY);
}

/*
 * RFC 6675 pipe: the bytes still in the network: what was sent and is
 * neither SACKed nor lost, plus the retransmissions.
 */
static u32 atcp_pipe(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *skb;
	u32 pipe = 0;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
		u32 len = cb->end_seq - cb->seq;

		if (skb == ap->send_head)
			break;
		if (cb->sacked & ATCP_SACKED_ACKED)
			continue;
		if (!(cb->sacked & ATCP_SACKED_LOST))
			pipe += len;
		if (cb->sacked & ATCP_SACKED_RETRANS)
			pipe += len;
	}
	return pipe;
}

/**
 * atcp_in_flight() - the bytes that count against cwnd now
 * @sk: the sender
 *
 * Return: snd_nxt - snd_una while nothing is SACKed or taken as lost, the
 * pipe of RFC 6675 otherwise.
 * Context: the socket owned.
 */
u32 atcp_in_flight(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);

	if (ap->ca_state == ATCP_CA_OPEN && !ap->sacked_out && !ap->lost_marked)
		return atcp_flight(ap);
	return atcp_pipe(sk);
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_in_flight);

/*
 * RFC 6937 PRR, as tcp_cwnd_reduction: cwnd = pipe + what may be sent for
 * newly delivered segments, so that by the end of recovery the window is
 * ssthresh: above it, in proportion to what arrives; at or below it, what
 * was delivered but not yet sent, never past ssthresh (the slow-start
 * reduction bound).
 */
static void atcp_prr(struct sock *sk, u32 newly_delivered, u32 newly_lost,
		     bool una_advanced)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 mss = max_t(u32, ap->mss_cache, 1);
	int pipe = DIV_ROUND_UP(atcp_pipe(sk), mss);
	int delta = ap->snd_ssthresh - pipe;
	int sndcnt;

	if (!newly_delivered || !ap->prior_cwnd)
		return;
	ap->prr_delivered += newly_delivered;
	if (delta < 0) {
		u64 dividend = (u64)ap->snd_ssthresh * ap->prr_delivered +
			       ap->prior_cwnd - 1;

		sndcnt = div_u64(dividend, ap->prior_cwnd) - ap->prr_out;
	} else {
		sndcnt = max_t(int, ap->prr_delivered - ap->prr_out,
			       newly_delivered);
		if (una_advanced && !newly_lost)
			sndcnt++;
		sndcnt = min(delta, sndcnt);
	}
	/* Entering recovery, the fast retransmit goes at once. */
	sndcnt = max(sndcnt, ap->prr_out ? 0 : 1);
	ap->snd_cwnd = max(pipe + sndcnt, 1);
}

/* The undo of a reduction that was not needed (tcp_undo_cwnd_reduction). */
static void atcp_undo(struct sock *sk, bool unmark_loss, int mib)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *skb;

	if (unmark_loss) {
		skb_queue_walk(&sk->sk_write_queue, skb) {
			if (skb == ap->send_head)
				break;
			ATCP_SKB_CB(skb)->sacked &= ~ATCP_SACKED_LOST;
		}
		ap->lost_marked = 0;
	}
	/*
	 * An ECE during the episode, or an episode begun in CWR, leaves no
	 * prior threshold: the peer's congestion signal is not undone
	 * (tcp_undo_cwnd_reduction).
	 */
	if (ap->prior_ssthresh) {
		ap->snd_cwnd = max(ap->snd_cwnd, ap->ca_ops->undo_cwnd(sk));
		if (ap->prior_ssthresh > ap->snd_ssthresh) {
			ap->snd_ssthresh = ap->prior_ssthresh;
			/* No CWR for a reduction taken back (tcp_ecn_withdraw_cwr). */
			ap->ecn_flags &= ~ATCP_ECN_QUEUE_CWR;
		}
	}
	ap->undo_marker = 0;
	ATCP_INC_STATS(sock_net(sk), mib);
}

/*
 * Eifel (RFC 3522): the ACK echoes a timestamp older than the first
 * retransmission, so the original arrived: the loss was not one.
 */
static bool atcp_packet_delayed(const struct atcp_sock *ap, u32 tsecr)
{
	return ap->retrans_ts && tsecr &&
	       before(tsecr - ap->ts_offset, ap->retrans_ts);
}

/* May the episode be undone: DSACKed retransmissions, or Eifel. */
static bool atcp_may_undo(const struct atcp_sock *ap, u32 tsecr)
{
	return ap->undo_marker &&
	       (!ap->undo_retrans || atcp_packet_delayed(ap, tsecr));
}

/* Recovery or loss is over: back to Open, the window at ssthresh. */
static void atcp_end_episode(struct sock *sk, u32 tsecr)
{
	struct atcp_sock *ap = atcp_sk(sk);

	if (atcp_may_undo(ap, tsecr)) {
		atcp_undo(sk, ap->ca_state == ATCP_CA_LOSS,
			  ap->ca_state == ATCP_CA_LOSS ? ATCP_MIB_LOSS_UNDO :
							 ATCP_MIB_FULL_UNDO);
	} else if (ap->ca_state == ATCP_CA_RECOVERY) {
		ap->snd_cwnd = ap->snd_ssthresh;
	}
	/* Not undone: the marker stays for D-SACKs still on their way. */
	ap->frto = 0;
	atcp_set_ca_state(sk, ATCP_CA_OPEN);
}

/* Retransmissions still out, not yet taken as lost again. */
static u32 atcp_retrans_out(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *skb;
	u32 n = 0;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		if (skb == ap->send_head)
			break;
		if ((ATCP_SKB_CB(skb)->sacked &
		     (ATCP_SACKED_RETRANS | ATCP_SACKED_ACKED)) ==
		    ATCP_SACKED_RETRANS)
			n++;
	}
	return n;
}

/*
 * In recovery, a partial ACK echoing a timestamp older than the first
 * retransmission: the hole was filled by the original, late, not by the
 * retransmission (tcp_try_undo_partial).  That was reordering, of the
 * degree the ACK shows.  While retransmissions are out, nothing more is
 * taken as lost or resent on this ACK; once none are, the reduction is
 * undone.  Returns true to hold back.
 */
static bool atcp_partial_undo(struct sock *sk, u32 prior_una)
{
	struct atcp_sock *ap = atcp_sk(sk);

	if (!ap->undo_marker)
		return false;
	atcp_check_reordering(sk, prior_una);
	if (atcp_retrans_out(sk)) {
		ap->rexmit_hold = 1;
		return true;
	}
	atcp_undo(sk, true, ATCP_MIB_PARTIAL_UNDO);
	atcp_set_ca_state(sk, ATCP_CA_OPEN);
	return false;
}

/*
 * TLP (RFC 8985 7.4): an ACK of what the probe sent tells whether it
 * repaired a loss (the window is reduced, as for a recovery) or both it
 * and the original arrived (a DSACK; nothing to do).
 */
static void atcp_tlp_ack(struct sock *sk, u32 ack, bool una_advanced,
			 unsigned int flags)
{
	struct atcp_sock *ap = atcp_sk(sk);

	if (!ap->tlp_high_seq || before(ack, ap->tlp_high_seq))
		return;
	if (!ap->tlp_retrans || (flags & ATCP_ACKF_DSACK)) {
		/* New data probed, or both copies arrived: no loss. */
		ap->tlp_high_seq = 0;
	} else if (after(ack, ap->tlp_high_seq)) {
		/* The probe repaired a loss: reduce as for a recovery. */
		if (ap->ca_state == ATCP_CA_OPEN) {
			atcp_init_cwnd_reduction(sk);
			ap->snd_cwnd = ap->snd_ssthresh;
		}
		ap->tlp_high_seq = 0;
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_LOSS_PROBE_RECOVERY);
	} else if (!una_advanced && !(flags & ATCP_ACKF_SACKED)) {
		/* A pure duplicate: the original and the probe arrived. */
		ap->tlp_high_seq = 0;
	}
}

/*
 * The ACK that ends an episode may carry an ECE of its own: a new
 * reduction starts with it (tcp_try_to_open() after the episode).
 */
static void atcp_end_episode_ecn(struct sock *sk, u32 tsecr, unsigned int flags)
{
	atcp_end_episode(sk, tsecr);
	if (atcp_sk(sk)->ca_state == ATCP_CA_OPEN && (flags & ATCP_ACKF_ECE))
		atcp_enter_cwr(sk);
}

/**
 * atcp_recovery_ack() - what an acceptable ACK means for loss recovery
 * @sk: the sender
 * @prior_una: snd_una before it
 * @ack: its cumulative ACK
 * @prior_delivered: ap->delivered before the ACK's SACKs and ACK
 * @acked_segs: segments it freed from the write queue
 * @tsecr: the timestamp it echoes, 0 for none
 * @flags: ATCP_ACKF_* of what its SACK blocks said
 *
 * Marks what is lost (RACK with SACK, NewReno without), enters, runs and
 * ends recovery and the loss state, undoes what was spurious, and lets the
 * congestion control grow the window when neither is on.  What is to be
 * resent goes with the caller's next push.
 * Context: the socket owned.
 */
void atcp_recovery_ack(struct sock *sk, u32 prior_una, u32 ack,
		       u32 prior_delivered, u32 acked_segs, u32 tsecr,
		       unsigned int flags)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 newly_delivered = ap->delivered - prior_delivered;
	bool una_advanced = after(ack, prior_una);
	bool hold = false;
	u32 newly_lost = 0;

	if (flags & ATCP_ACKF_ECE) {
		ATCP_ADD_STATS(sock_net(sk), ATCP_MIB_DELIVERED_CE,
			       newly_delivered);
		/* A congestion signal in the episode: nothing to undo then. */
		ap->prior_ssthresh = 0;
	}
	atcp_tlp_ack(sk, ack, una_advanced, flags);
	if (!ap->rack_reo_wnd_persist && !ap->rack_reo_wnd_steps)
		ap->rack_reo_wnd_steps = 1;

	if (ap->ca_state == ATCP_CA_RECOVERY && before(ack, ap->high_seq) &&
	    una_advanced && atcp_packet_delayed(ap, tsecr))
		hold = atcp_partial_undo(sk, prior_una);
	if (hold) {
		/* Reordering, with retransmissions out: mark nothing more. */
	} else if (ap->ca_state == ATCP_CA_RECOVERY && before(ack, ap->high_seq) &&
		   ap->undo_marker && !ap->undo_retrans) {
		/* A D-SACK for every retransmission: it was reordering. */
		atcp_undo(sk, false, ATCP_MIB_DSACK_UNDO);
		atcp_set_ca_state(sk, ATCP_CA_OPEN);
	} else if (ap->ca_state == ATCP_CA_LOSS) {
		if (una_advanced && atcp_may_undo(ap, tsecr)) {
			/* D-SACKs or Eifel: the timeout was not needed. */
			atcp_undo(sk, true, ATCP_MIB_LOSS_UNDO);
			atcp_set_ca_state(sk, ATCP_CA_OPEN);
		} else if (ap->frto && (flags & ATCP_ACKF_ORIG_DELIVERED)) {
			/* F-RTO 3.b: data never resent was delivered. */
			atcp_undo(sk, true, ATCP_MIB_SPURIOUS_RTO);
			atcp_set_ca_state(sk, ATCP_CA_OPEN);
		} else if (ap->frto) {
			if (after(ap->snd_nxt, ap->high_seq)) {
				/* F-RTO 3.a: new data went, holes remain. */
				if ((flags & ATCP_ACKF_SACKED) || !una_advanced)
					ap->frto = 0;
			} else if (una_advanced && before(ack, ap->high_seq)) {
				/* F-RTO 2.b: new data next, if there is any. */
				ap->high_seq = ap->snd_nxt;
				ap->frto_new_data = ap->send_head &&
					before(ATCP_SKB_CB(ap->send_head)->seq,
					       ap->snd_una + ap->snd_wnd);
				if (!ap->frto_new_data)
					ap->frto = 0;
			}
		}
	}

	/* D-SACKs that came after the recovery ended undo it still. */
	if (ap->ca_state == ATCP_CA_OPEN && ap->undo_marker && !ap->undo_retrans)
		atcp_undo(sk, false, ATCP_MIB_DSACK_UNDO);

	if (hold)
		newly_lost = 0;
	else if (!ap->sack_ok)
		newly_lost = atcp_newreno_mark_lost(sk, una_advanced);
	else if (READ_ONCE(atcp_sk_net(sk)->recovery) & ATCP_RACK_LOSS_DETECTION)
		newly_lost = atcp_rack_mark_lost(sk);
	else
		newly_lost = atcp_sack_dupthresh_mark_lost(sk);

	switch (ap->ca_state) {
	case ATCP_CA_RECOVERY:
		if (!before(ap->snd_una, ap->high_seq)) {
			atcp_end_episode_ecn(sk, tsecr, flags);
			break;
		}
		atcp_prr(sk, newly_delivered, newly_lost, una_advanced);
		break;
	case ATCP_CA_LOSS:
		if (!before(ap->snd_una, ap->high_seq)) {
			atcp_end_episode_ecn(sk, tsecr, flags);
			break;
		}
		if (una_advanced)
			atcp_cong_avoid(sk, ack, acked_segs);
		break;
	case ATCP_CA_CWR:
		/*
		 * Over once something sent after the reduction began is
		 * acked, so that the CWR reached the receiver: the window at
		 * ssthresh (tcp_end_cwnd_reduction).
		 */
		if (after(ap->snd_una, ap->high_seq)) {
			if (ap->snd_ssthresh < INT_MAX)
				ap->snd_cwnd = ap->snd_ssthresh;
			atcp_set_ca_state(sk, ATCP_CA_OPEN);
		}
		fallthrough;
	default:
		if (ap->lost_marked && atcp_flight(ap)) {
			atcp_enter_recovery(sk, flags & ATCP_ACKF_ECE);
			atcp_prr(sk, newly_delivered, newly_lost, una_advanced);
			break;
		}
		if (flags & ATCP_ACKF_ECE)
			atcp_enter_cwr(sk);
		if (ap->ca_state == ATCP_CA_CWR)
			atcp_prr(sk, newly_delivered, newly_lost, una_advanced);
		else if (una_advanced)
			atcp_cong_avoid(sk, ack, acked_segs);
	}
	if (ap->rack_reo_wnd_persist && ap->ca_state == ATCP_CA_OPEN &&
	    una_advanced && !ap->sacked_out)
		ap->rack_reo_wnd_persist--;
}

/**
 * atcp_rack_reo_timeout() - RACK's reordering timer fired
 * @sk: the socket
 *
 * What RACK held back is overdue now: mark it lost, enter recovery, resend
 * (tcp_rack_reo_timeout).
 *
 * Context: the retransmission timer's handler, under bh_lock_sock() with
 * no user owner or from atcp_release_cb().
 */
void atcp_rack_reo_timeout(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 timeout, marked;

	marked = atcp_rack_detect_loss(sk, &timeout);
	if (marked) {
		if (ap->ca_state == ATCP_CA_OPEN || ap->ca_state == ATCP_CA_CWR)
			atcp_enter_recovery(sk, false);
		if (ap->ca_state == ATCP_CA_RECOVERY)
			atcp_prr(sk, 1, marked, false);
		atcp_push(sk, ATCP_NAGLE_PUSH);
	}
	if (timeout)
		inet_csk_reset_xmit_timer(sk, ICSK_TIME_REO_TIMEOUT,
					  usecs_to_jiffies(timeout) + 1,
					  ATCP_RTO_MAX);
	else if (atcp_flight(ap) &&
		 inet_csk(sk)->icsk_pending != ICSK_TIME_RETRANS)
		atcp_reset_rto(sk);
}

/**
 * atcp_schedule_loss_probe() - arm the tail loss probe instead of the RTO
 * @sk: the sender, with data in flight
 *
 * RFC 8985 7.2: in Open or CWR state, with SACK, a probe after two
 * smoothed RTTs (plus a delayed ACK's allowance with one segment out), or
 * sooner if the RTO would come first; one probe per episode.
 * Return: true if the probe timer is armed.
 * Context: the socket owned.
 */
bool atcp_schedule_loss_probe(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	u32 timeout, rto;

	if (READ_ONCE(atcp_sk_net(sk)->early_retrans) < 3 ||
	    !ap->sack_ok || !atcp_flight(ap) ||
	    (ap->ca_state != ATCP_CA_OPEN && ap->ca_state != ATCP_CA_CWR) ||
	    ap->tlp_high_seq || sk->sk_state == TCP_SYN_SENT ||
	    sk->sk_state == TCP_SYN_RECV ||
	    icsk->icsk_pending == ICSK_TIME_REO_TIMEOUT)
		return false;
	if (ap->srtt_us) {
		timeout = usecs_to_jiffies(ap->srtt_us >> 2);
		if (atcp_flight(ap) <= ap->mss_cache)
			timeout += ATCP_RTO_MIN;
		else
			timeout += 2;
	} else {
		timeout = ATCP_TIMEOUT_INIT;
	}
	timeout = max_t(u32, timeout, msecs_to_jiffies(10));
	rto = icsk->icsk_rto;
	if (icsk->icsk_pending == ICSK_TIME_RETRANS &&
	    time_after(icsk->icsk_timeout, jiffies))
		rto = icsk->icsk_timeout - jiffies;
	timeout = min(timeout, rto);
	inet_csk_reset_xmit_timer(sk, ICSK_TIME_LOSS_PROBE, timeout,
				  ATCP_RTO_MAX);
	return true;
}

/**
 * atcp_send_loss_probe() - the tail loss probe timer fired
 * @sk: the socket
 *
 * RFC 8985 7 (tcp_send_loss_probe): send one new segment if the window
 * allows, else the last one sent again; then the RTO.
 *
 * Context: the retransmission timer's handler, under bh_lock_sock() with
 * no user owner or from atcp_release_cb().
 */
void atcp_send_loss_probe(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *skb = ap->send_head;
	u32 prior_nxt = ap->snd_nxt;

	if (ap->tlp_high_seq)
		goto rearm;
	ap->tlp_retrans = 0;
	if (skb && before(ATCP_SKB_CB(skb)->seq, ap->snd_una + ap->snd_wnd)) {
		atcp_write_xmit_probe(sk);
		if (after(ap->snd_nxt, prior_nxt))
			goto sent;
		goto rearm;
	}
	skb = skb_peek_tail(&sk->sk_write_queue);
	if (skb && ap->send_head)
		skb = ap->send_head->prev;
	if (!skb || skb == (struct sk_buff *)&sk->sk_write_queue ||
	    skb == ap->send_head || (ATCP_SKB_CB(skb)->sacked & ATCP_SACKED_ACKED))
		goto rearm;
	/* Of a super-segment, its last segment. */
	if (ATCP_SKB_CB(skb)->seg_size && skb->len > ATCP_SKB_CB(skb)->seg_size) {
		u32 seg = ATCP_SKB_CB(skb)->seg_size;

		if (atcp_fragment(sk, skb, (DIV_ROUND_UP(skb->len, seg) - 1) * seg))
			goto rearm;
		skb = skb->next;
	}
	if (atcp_retransmit_skb(sk, skb))
		goto rearm;
	/* A second copy in flight until RACK says otherwise. */
	ATCP_SKB_CB(skb)->sacked |= ATCP_SACKED_RETRANS;
	ap->tlp_retrans = 1;
sent:
	ap->tlp_high_seq = ap->snd_nxt;
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_LOSS_PROBES);
rearm:
	inet_csk(sk)->icsk_pending = 0;
	atcp_reset_rto(sk);
}

/**
 * atcp_xmit_retransmit_queue() - resend what is taken as lost
 * @sk: the socket
 * @mss: the current MSS
 * @in_flight: the segments in flight; grows with what is sent
 *
 * Oldest first, as the window allows, each once until RACK says that copy
 * is lost too.  After an RTO that is every segment not SACKed; but for
 * F-RTO's one step of new data.
 *
 * Context: the socket owned by the caller (atcp_push()); checked under
 * lockdep.
 */
void atcp_xmit_retransmit_queue(struct sock *sk, u32 mss, u32 *in_flight)
{
	struct atcp_sock *ap = atcp_sk(sk);
	bool rearm_rto = false;
	struct sk_buff *skb;

	sock_owned_by_me(sk);

	if (ap->rexmit_hold) {
		ap->rexmit_hold = 0;
		return;
	}
	if (!ap->lost_marked)
		return;
	if (ap->frto_new_data) {
		ap->frto_new_data = 0;
		return;
	}
	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);

		if (skb == ap->send_head)
			break;
		if ((cb->sacked & (ATCP_SACKED_ACKED | ATCP_SACKED_RETRANS)) ||
		    !(cb->sacked & ATCP_SACKED_LOST))
			continue;
		if (*in_flight >= ap->snd_cwnd * mss)
			break;
		if (atcp_retransmit_skb(sk, skb))
			break;
		if (skb == skb_peek(&sk->sk_write_queue) &&
		    inet_csk(sk)->icsk_pending != ICSK_TIME_REO_TIMEOUT)
			rearm_rto = true;
		cb = ATCP_SKB_CB(skb);
		cb->sacked |= ATCP_SACKED_RETRANS;
		*in_flight += cb->end_seq - cb->seq;
		if (atcp_in_cwnd_reduction(ap))
			ap->prr_out++;
	}
	/* The oldest went again: its RTO runs from now (tcp_xmit_retransmit_queue). */
	if (rearm_rto)
		atcp_reset_rto(sk);
}

/*
 * At an RTO every segment not SACKed is taken as lost.  A SACKed oldest
 * segment means the peer dropped what it had SACKed (reneging): every
 * block is forgotten, and everything goes again.
 */
static void atcp_mark_all_lost(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *head = skb_peek(&sk->sk_write_queue);
	bool reneged = head && (ATCP_SKB_CB(head)->sacked & ATCP_SACKED_ACKED);
	struct sk_buff *skb;
	u32 lost = 0;

	if (reneged)
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_SACK_RENEGING);
	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);

		if (skb == ap->send_head)
			break;
		if (reneged)
			cb->sacked = 0;
		if (cb->sacked & ATCP_SACKED_ACKED)
			continue;
		/* Retransmitted or not, every copy is taken as lost. */
		cb->sacked = ATCP_SACKED_LOST;
		lost++;
	}
	if (reneged) {
		ap->sacked_out = 0;
		ap->highest_sack = ap->snd_una;
	}
	ap->lost_marked = lost;
}

/**
 * atcp_enter_loss() - the retransmission timer fired: the RTO's loss state
 * @sk: the socket
 *
 * RFC 6298 5.5, RFC 5681 3.1: every segment not SACKed is taken as lost;
 * the window starts again from one segment, and the threshold comes down
 * once per episode, not at each backed-off timeout.  F-RTO watches the next
 * ACKs for a spurious one.
 *
 * Context: the retransmission timer, under bh_lock_sock() with no user
 * owner or from atcp_release_cb(); checked under lockdep.
 */
void atcp_enter_loss(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	bool new_recovery = ap->ca_state < ATCP_CA_RECOVERY;
	/*
	 * Not twice in a window: a timeout within a recovery or an ECN
	 * reduction under way keeps the threshold that one set, and its
	 * undo (tcp_enter_loss).
	 */
	bool reduce = ap->ca_state == ATCP_CA_OPEN ||
		      !after(ap->high_seq, ap->snd_una) ||
		      (ap->ca_state == ATCP_CA_LOSS && !icsk->icsk_retransmits);

	sock_owned_by_me(sk);

	atcp_mark_all_lost(sk);
	if (reduce) {
		atcp_init_undo(ap);
		ap->snd_ssthresh = ap->ca_ops->ssthresh(sk);
	}
	if (ap->ecn_flags & ATCP_ECN_OK)
		ap->ecn_flags |= ATCP_ECN_QUEUE_CWR;
	ap->high_seq = ap->snd_max;
	ap->snd_cwnd = 1;
	ap->snd_cwnd_cnt = 0;
	ap->tlp_high_seq = 0;
	ap->frto = ap->sack_ok && (new_recovery || icsk->icsk_retransmits);
	ap->frto_new_data = 0;
	atcp_set_ca_state(sk, ATCP_CA_LOSS);
	ap->dup_acks = 0;
}

/**
 * atcp_mark_oversized_lost() - the path MTU fell: what is out in larger
 * segments is lost, and goes again at once without a cut of the window
 * (tcp_simple_retransmit)
 * @sk: the sender
 *
 * Context: the socket owned.
 */
void atcp_mark_oversized_lost(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *skb;
	u32 marked = 0;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);

		if (skb == ap->send_head)
			break;
		u32 seg = cb->seg_size && cb->seg_size < skb->len ?
			  cb->seg_size : skb->len;

		if (!(cb->sacked & ATCP_SACKED_ACKED) && seg > ap->mss_cache) {
			atcp_mark_skb_lost(sk, skb);
			marked++;
		}
	}
	if (!marked)
		return;
	if (ap->ca_state != ATCP_CA_LOSS) {
		ap->high_seq = ap->snd_max;
		ap->undo_marker = 0;
		atcp_set_ca_state(sk, ATCP_CA_LOSS);
	}
	atcp_push(sk, ATCP_NAGLE_PUSH);
}
