// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: Explicit Congestion Notification (RFC 3168), as Linux 6.1's TCP.
 *
 * Negotiation: with net.atcp.ecn=1 a SYN carries ECE and CWR; a listener
 * with net.atcp.ecn 1 or 2 answers such a SYN (one not itself ECT) with
 * ECE on its SYN-ACK, and the connection is an ECN one (ATCP_ECN_OK).
 * A SYN-ACK without ECE, or with CWR, turns it off.
 *
 * Then new data goes out ECT(0) (pure ACKs and retransmissions not-ECT);
 * a receiver that gets a CE segment echoes ECE on everything it sends
 * until a CWR arrives; a sender that gets an ECE enters the CWR state
 * (recovery.c), reducing its window once per round trip as for a loss,
 * and sets CWR on its next new data segment.
 */
#include <linux/module.h>
#include <net/inet_ecn.h>

#include "atcp.h"

/**
 * atcp_ecn_send_syn() - ask for ECN on an active open's SYN
 * @sk: the socket, in SYN_SENT
 * @skb: its SYN
 *
 * With net.atcp.ecn=1, or the route's "features ecn", the SYN carries
 * ECE and CWR (tcp_ecn_send_syn).
 *
 * Context: the socket owned.
 */
void atcp_ecn_send_syn(struct sock *sk, struct sk_buff *skb)
{
	struct atcp_sock *ap = atcp_sk(sk);
	bool use_ecn = READ_ONCE(atcp_sk_net(sk)->ecn) == 1;

	if (!use_ecn) {
		const struct dst_entry *dst = __sk_dst_get(sk);

		use_ecn = dst && dst_feature(dst, RTAX_FEATURE_ECN);
	}
	ap->ecn_flags = 0;
	if (use_ecn) {
		ATCP_SKB_CB(skb)->tcp_flags |= TCPHDR_ECE | TCPHDR_CWR;
		ap->ecn_flags = ATCP_ECN_OK;
	}
}

/**
 * atcp_ecn_clear_syn() - a SYN sent again goes without ECN
 * @sk: the socket
 * @skb: the queued SYN
 *
 * With net.atcp.ecn_fallback, in case a middlebox drops ECN SYNs
 * (tcp_ecn_clear_syn).  ATCP_ECN_OK goes when the SYN-ACK comes without
 * ECE.
 *
 * Context: the socket owned.
 */
void atcp_ecn_clear_syn(struct sock *sk, struct sk_buff *skb)
{
	u8 syn_ecn = TCPHDR_SYN | TCPHDR_ECE | TCPHDR_CWR;

	if ((ATCP_SKB_CB(skb)->tcp_flags & syn_ecn) == syn_ecn &&
	    READ_ONCE(atcp_sk_net(sk)->ecn_fallback))
		ATCP_SKB_CB(skb)->tcp_flags &= ~(TCPHDR_ECE | TCPHDR_CWR);
}

/**
 * atcp_ecn_send() - the ECN bits of a segment other than a SYN
 * @sk: the socket
 * @skb: the segment, its header pushed
 * @th: its header
 *
 * New data goes ECT(0), with CWR once after a reduction; pure ACKs and
 * retransmissions not-ECT; everything carries ECE while a CE is not yet
 * answered by a CWR (tcp_ecn_send).  The IP header takes the ECN field
 * from the socket's tos.
 *
 * Context: the socket owned.
 */
void atcp_ecn_send(struct sock *sk, struct sk_buff *skb, struct tcphdr *th)
{
	struct atcp_sock *ap = atcp_sk(sk);

	if (!(ap->ecn_flags & ATCP_ECN_OK))
		return;
	if (skb->len != tcp_hdrlen(skb) &&
	    !before(ATCP_SKB_CB(skb)->seq, ap->snd_max)) {
		INET_ECN_xmit(sk);
		if (ap->ecn_flags & ATCP_ECN_QUEUE_CWR) {
			ap->ecn_flags &= ~ATCP_ECN_QUEUE_CWR;
			th->cwr = 1;
		}
	} else {
		INET_ECN_dontxmit(sk);
	}
	if (ap->ecn_flags & ATCP_ECN_DEMAND_CWR)
		th->ece = 1;
}

/**
 * atcp_ecn_check_ce() - the ECN field of a data segment that arrived
 * @sk: the receiver
 * @skb: the segment
 *
 * CE: ECE from now on until the sender's CWR, and the ACKs go at once,
 * the sender's window may be small.  A not-ECT segment after ECT ones is
 * likely a retransmission: it is acked at once too (tcp_ecn_check_ce).
 *
 * Context: the socket owned.
 */
void atcp_ecn_check_ce(struct sock *sk, const struct sk_buff *skb)
{
	struct atcp_sock *ap = atcp_sk(sk);

	if (!(ap->ecn_flags & ATCP_ECN_OK))
		return;
	switch (ATCP_SKB_CB(skb)->ip_dsfield & INET_ECN_MASK) {
	case INET_ECN_NOT_ECT:
		if (ap->ecn_flags & ATCP_ECN_SEEN)
			atcp_enter_quickack_mode(sk, 2);
		break;
	case INET_ECN_CE:
		if (!(ap->ecn_flags & ATCP_ECN_DEMAND_CWR)) {
			atcp_enter_quickack_mode(sk, 2);
			ap->ecn_flags |= ATCP_ECN_DEMAND_CWR;
		}
		ap->ecn_flags |= ATCP_ECN_SEEN;
		break;
	default:
		ap->ecn_flags |= ATCP_ECN_SEEN;
		break;
	}
}

/**
 * atcp_ecn_accept_cwr() - the peer reduced: stop echoing ECE
 * @sk: the receiver
 * @skb: an acceptable segment
 *
 * CWR is taken on pure ACKs too, as Linux does; one on data is acked at
 * once (tcp_ecn_accept_cwr).
 *
 * Context: the socket owned.
 */
void atcp_ecn_accept_cwr(struct sock *sk, const struct sk_buff *skb)
{
	const struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);

	if (!(cb->tcp_flags & TCPHDR_CWR))
		return;
	atcp_sk(sk)->ecn_flags &= ~ATCP_ECN_DEMAND_CWR;
	if (cb->seq != cb->end_seq)
		inet_csk(sk)->icsk_ack.pending |= ICSK_ACK_NOW;
}

/**
 * atcp_ecn_rcv_synack() - an ECN open's SYN-ACK: did the peer agree
 * @sk: the socket, in SYN_SENT
 * @th: the SYN-ACK (ECE without CWR agrees: tcp_ecn_rcv_synack), or a
 *	crossing SYN (ECE and CWR agree: tcp_ecn_rcv_syn)
 *
 * Context: the socket owned.
 */
void atcp_ecn_rcv_synack(struct sock *sk, const struct tcphdr *th)
{
	struct atcp_sock *ap = atcp_sk(sk);
	bool agree = th->ack ? th->ece && !th->cwr : th->ece && th->cwr;

	if ((ap->ecn_flags & ATCP_ECN_OK) && !agree)
		ap->ecn_flags &= ~ATCP_ECN_OK;
}

/**
 * atcp_ecn_create_request() - whether a listener takes a SYN's ECN
 * @sk: the listener
 * @req: the request
 * @skb: the SYN
 * @dst: the route to the peer
 *
 * A SYN with ECE and CWR, itself not ECT (RFC 3168 6.1.1; a reserved bit
 * set says a later ECN variant, which may send it ECT), is taken when
 * net.atcp.ecn is not 0 or the route has ``features ecn``
 * (tcp_ecn_create_request).
 *
 * Context: softirq, the listener not locked.
 */
void atcp_ecn_create_request(const struct sock *sk, struct request_sock *req,
			     const struct sk_buff *skb,
			     const struct dst_entry *dst)
{
	const struct tcphdr *th = tcp_hdr(skb);
	bool ect = !INET_ECN_is_not_ect(ATCP_SKB_CB(skb)->ip_dsfield);

	if (th->ece && th->cwr && (!ect || th->res1) &&
	    (READ_ONCE(atcp_sk_net(sk)->ecn) ||
	     dst_feature(dst, RTAX_FEATURE_ECN)))
		inet_rsk(req)->ecn_ok = 1;
}
