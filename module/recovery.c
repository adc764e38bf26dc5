// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: loss recovery.  The SACK scoreboard of the segments sent (RFC 2018,
 * RFC 6675), loss marking with the DupThresh the reordering seen allows,
 * entering fast recovery and the RTO's loss state, and which segments go
 * again and when: what counts as in flight (pipe), and the retransmission
 * queue.  How far the window moves is the congestion control's (cong.c).
 */
#include <linux/module.h>
#include <net/tcp_states.h>

#include "atcp.h"
#include "trace.h"

/*
 * A segment sent once reached the peer after data sent later than it, as
 * a SACK or the cumulative ACK shows: that was reordering, not loss.  Its
 * degree (segments from it to the highest SACKed, as
 * tcp_check_sack_reordering() measures it) becomes the DupThresh, so that
 * the same reordering does not start a recovery again.
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
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_REORDER_SEEN);
}

/*
 * RFC 6675 IsLost(): a segment not SACKed with DupThresh SACKed segments
 * above it is lost.  Walks down from the highest segment sent.
 */
static void atcp_sack_mark_lost(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *skb;
	u32 above = 0;

	skb_queue_reverse_walk(&sk->sk_write_queue, skb) {
		struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);

		if (!before(cb->seq, ap->snd_max))
			continue;
		if (cb->sacked & ATCP_SACKED_ACKED)
			above++;
		else if (above >= ap->reordering)
			cb->sacked |= ATCP_SACKED_LOST;
	}
}

/*
 * RFC 2018 sender: mark the segments inside the peer's SACK blocks, so
 * that recovery resends only the holes.  Blocks below snd_una (D-SACK) or
 * beyond what was sent are ignored; a segment only partly covered stays
 * unmarked.
 */
void atcp_sacktag(struct sock *sk, const struct sk_buff *skb)
{
	const unsigned char *ptr = (const unsigned char *)tcp_hdr(skb) +
				   ATCP_SKB_CB(skb)->sack_off;
	int n = (ptr[1] - TCPOLEN_SACK_BASE) / TCPOLEN_SACK_PERBLOCK;
	struct atcp_sock *ap = atcp_sk(sk);
	u32 prior_sacked = ap->sacked_out;
	u32 prior_fack, reord = ap->snd_max;
	struct sk_buff *pos;
	int i;

	if (!ap->sacked_out)
		ap->highest_sack = ap->snd_una;
	prior_fack = ap->highest_sack;
	ptr += TCPOLEN_SACK_BASE;
	for (i = 0; i < n; i++, ptr += TCPOLEN_SACK_PERBLOCK) {
		u32 start = get_unaligned_be32(ptr);
		u32 end = get_unaligned_be32(ptr + 4);

		if (!after(end, start) || !after(start, ap->snd_una) ||
		    after(end, ap->snd_max))
			continue;
		skb_queue_walk(&sk->sk_write_queue, pos) {
			struct atcp_skb_cb *pcb = ATCP_SKB_CB(pos);

			if (pos == ap->send_head || !before(pcb->seq, end))
				break;
			if (before(pcb->seq, start) || after(pcb->end_seq, end) ||
			    (pcb->sacked & ATCP_SACKED_ACKED))
				continue;
			pcb->sacked |= ATCP_SACKED_ACKED;
			ap->sacked_out++;
			ATCP_INC_STATS(sock_net(sk), ATCP_MIB_SACKED_SEGS);
			if (!pcb->retrans && before(pcb->seq, prior_fack) &&
			    before(pcb->seq, reord))
				reord = pcb->seq;
			if (after(pcb->end_seq, ap->highest_sack))
				ap->highest_sack = pcb->end_seq;
		}
	}
	if (before(reord, ap->snd_max))
		atcp_check_reordering(sk, reord);
	if (ap->sacked_out != prior_sacked)
		atcp_sack_mark_lost(sk);
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_sacktag);

static void atcp_enter_recovery(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);

	ap->prior_cwnd = ap->snd_cwnd;
	ap->snd_ssthresh = ap->ca_ops->ssthresh(sk);
	ap->snd_cwnd = ap->snd_ssthresh;
	ap->snd_cwnd_cnt = 0;
	atcp_set_ca_state(sk, ATCP_CA_RECOVERY);
	ap->high_seq = ap->snd_max;
	ap->fast_retrans++;
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_FAST_RETRANS);
	if (ap->sacked_out)
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_SACK_RECOVERY);
	atcp_retransmit_head(sk);
}

/*
 * RFC 5681 section 3.2 and RFC 6675: a duplicate ACK came.  DupThresh of
 * them, or DupThresh segments SACKed above the oldest, mean it was lost.
 */
void atcp_recovery_dupack(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);

	if (ap->ca_state == ATCP_CA_OPEN && atcp_flight(ap) &&
	    (ap->dup_acks >= ap->reordering || ap->sacked_out >= ap->reordering))
		atcp_enter_recovery(sk);
}

/*
 * snd_una advanced to ack, acked_segs segments are gone from the queue:
 * leave recovery once everything sent before it began is acknowledged; a
 * partial ACK in NewReno recovery means the next hole is lost too; out of
 * recovery the window grows, and SACKs may start one.
 */
void atcp_recovery_ack(struct sock *sk, u32 ack, u32 acked_segs)
{
	struct atcp_sock *ap = atcp_sk(sk);

	switch (ap->ca_state) {
	case ATCP_CA_RECOVERY:
		if (!before(ack, ap->high_seq)) {
			atcp_set_ca_state(sk, ATCP_CA_OPEN);
			ap->snd_cwnd = ap->snd_ssthresh;
		} else {
			atcp_retransmit_head(sk);
		}
		break;
	case ATCP_CA_LOSS:
		if (!before(ack, ap->high_seq))
			atcp_set_ca_state(sk, ATCP_CA_OPEN);
		atcp_cong_avoid(sk, ack, acked_segs);
		break;
	default:
		atcp_cong_avoid(sk, ack, acked_segs);
		if (ap->sacked_out >= ap->reordering && atcp_flight(ap))
			atcp_enter_recovery(sk);
	}
}

/*
 * Fast retransmit of the oldest segment, once per recovery (NewReno on a
 * partial ACK, or the first hole).
 */
void atcp_retransmit_head(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *head = skb_peek(&sk->sk_write_queue);

	if (!head || head == ap->send_head ||
	    (ATCP_SKB_CB(head)->sacked & ATCP_SACKED_RETRANS))
		return;
	if (atcp_retransmit_skb(sk, head))
		return;
	ATCP_SKB_CB(head)->sacked |= ATCP_SACKED_RETRANS | ATCP_SACKED_LOST;
	if (after(ATCP_SKB_CB(head)->end_seq, ap->rtx_next))
		ap->rtx_next = ATCP_SKB_CB(head)->end_seq;
}

/*
 * RFC 6675 pipe: the bytes still in the network: what was sent and is
 * neither SACKed nor lost, plus the retransmissions.
 */
static u32 atcp_sack_pipe(struct sock *sk)
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

/* Bytes that count against cwnd now. */
u32 atcp_in_flight(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);

	if (ap->ca_state == ATCP_CA_LOSS)
		return (ap->rtx_next - ap->snd_una) + (ap->snd_nxt - ap->high_seq);
	if (ap->ca_state == ATCP_CA_RECOVERY && ap->sacked_out)
		return atcp_sack_pipe(sk);
	return atcp_flight(ap);
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_in_flight);

/*
 * Resend as cwnd allows: after an RTO everything outstanding that was not
 * SACKed (go-back-N); in SACK recovery, the segments taken as lost, once
 * each.  *in_flight grows with what is sent.
 */
void atcp_xmit_retransmit_queue(struct sock *sk, u32 mss, u32 *in_flight)
{
	struct atcp_sock *ap = atcp_sk(sk);
	bool loss = ap->ca_state == ATCP_CA_LOSS;
	struct sk_buff *skb;

	if (!loss && !(ap->ca_state == ATCP_CA_RECOVERY && ap->sacked_out))
		return;
	skb_queue_walk(&sk->sk_write_queue, skb) {
		struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);

		if (skb == ap->send_head)
			break;
		if (loss) {
			if (!before(cb->seq, ap->high_seq))
				break;
			if (!after(cb->end_seq, ap->rtx_next))
				continue;
		} else {
			if (cb->sacked & (ATCP_SACKED_RETRANS | ATCP_SACKED_ACKED))
				continue;
			/* Lost marks go from the oldest up: none beyond. */
			if (!(cb->sacked & ATCP_SACKED_LOST))
				break;
		}
		if (cb->sacked & ATCP_SACKED_ACKED) {
			if (loss)
				ap->rtx_next = cb->end_seq;
			continue;
		}
		if (*in_flight >= ap->snd_cwnd * mss)
			break;
		if (atcp_retransmit_skb(sk, skb))
			break;
		cb = ATCP_SKB_CB(skb);
		*in_flight += cb->end_seq - cb->seq;
		if (loss)
			ap->rtx_next = cb->end_seq;
		else
			cb->sacked |= ATCP_SACKED_RETRANS;
	}
}

/*
 * After an RTO, SACKed segments are still skipped; everything else is
 * resent, whatever the last recovery did.  A SACKed oldest segment means
 * the peer dropped what it had SACKed (reneging): forget every block.
 */
static void atcp_sack_rto(struct sock *sk, struct sk_buff *head)
{
	struct atcp_sock *ap = atcp_sk(sk);
	bool reneged = ATCP_SKB_CB(head)->sacked & ATCP_SACKED_ACKED;
	struct sk_buff *skb;

	if (reneged)
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_SACK_RENEGING);
	skb_queue_walk(&sk->sk_write_queue, skb) {
		if (skb == ap->send_head)
			break;
		ATCP_SKB_CB(skb)->sacked &= reneged ? 0 : ATCP_SACKED_ACKED;
	}
	if (reneged) {
		ap->sacked_out = 0;
		ap->highest_sack = ap->snd_una;
	}
}

/*
 * RFC 6298 5.5 and RFC 5681 3.1: the retransmission timer fired.  Every
 * segment not SACKed is taken as lost (go-back-N from snd_una); the window
 * starts again from one segment, and the threshold halves once per loss
 * episode, not at each backed-off timeout.
 */
void atcp_enter_loss(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);

	atcp_sack_rto(sk, skb_peek(&sk->sk_write_queue));
	if (ap->ca_state != ATCP_CA_LOSS || !icsk->icsk_retransmits) {
		ap->prior_cwnd = ap->snd_cwnd;
		ap->snd_ssthresh = ap->ca_ops->ssthresh(sk);
		ap->high_seq = ap->snd_max;
	}
	ap->snd_cwnd = 1;
	ap->snd_cwnd_cnt = 0;
	atcp_set_ca_state(sk, ATCP_CA_LOSS);
	ap->dup_acks = 0;
	ap->rtx_next = ap->snd_una;
}
