// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: the IPv4 side.  What knows the address family lives here, beside
 * the state machine that does not (net/dccp/ipv4.c is the model): the IP
 * layer's handler, which validates a segment and finds its socket; ICMP
 * errors; the segments sent without a full socket behind them (SYN-ACKs of
 * request socks, every RST, the ACKs of TIME_WAIT and request socks);
 * connect(); the initial sequence number; the af_ops.
 */
#include <linux/module.h>
#include <linux/siphash.h>
#include <net/icmp.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/tcp_states.h>
#include <net/xfrm.h>

#include "atcp.h"
#include "trace.h"

static siphash_aligned_key_t atcp_isn_secret;

/* Check the header and the checksum, and fill the control block. */
static bool atcp_v4_validate(struct net *net, struct sk_buff *skb)
{
	const struct tcphdr *th;
	struct atcp_skb_cb *cb;
	struct atcp_options opt;

	if (!pskb_may_pull(skb, sizeof(struct tcphdr))) {
		ATCP_INC_STATS(net, ATCP_MIB_DROP_SHORT);
		return false;
	}
	th = (const struct tcphdr *)skb->data;
	if (th->doff < sizeof(struct tcphdr) / 4 ||
	    !pskb_may_pull(skb, th->doff * 4)) {
		ATCP_INC_STATS(net, ATCP_MIB_DROP_BAD_DOFF);
		return false;
	}
	if (skb_checksum_init(skb, atcp_proto_num, inet_compute_pseudo) ||
	    skb_checksum_complete(skb)) {
		ATCP_INC_STATS(net, ATCP_MIB_DROP_CSUM);
		return false;
	}
	th = (const struct tcphdr *)skb->data;
	atcp_parse_options(skb, th, &opt);
	if (opt.bad) {
		ATCP_INC_STATS(net, ATCP_MIB_DROP_BAD_OPTIONS);
		return false;
	}
	if (th->syn && th->fin) {
		ATCP_INC_STATS(net, ATCP_MIB_DROP_BAD_FLAGS);
		return false;
	}

	cb = ATCP_SKB_CB(skb);
	memset(cb, 0, sizeof(*cb));
	cb->seq = ntohl(th->seq);
	cb->end_seq = cb->seq + th->syn + th->fin + skb->len - th->doff * 4;
	cb->ack_seq = ntohl(th->ack_seq);
	cb->tcp_flags = tcp_flag_byte(th);
	cb->header_len = th->doff * 4;
	cb->window = ntohs(th->window);
	cb->has_ts = opt.ts_ok;
	cb->sack_off = opt.num_sacks ? opt.sack_off : 0;
	cb->tsval = opt.tsval;
	cb->tsecr = opt.tsecr;
	cb->ip_dsfield = ipv4_get_dsfield(ip_hdr(skb));
	return true;
}

static void atcp_v4_timewait_ack(struct inet_timewait_sock *tw,
				 struct sk_buff *skb)
{
	struct atcp_timewait_sock *atw = atcp_twsk((struct sock *)tw);

	atcp_v4_send_reply(twsk_net(tw), skb, atw->snd_nxt, atw->rcv_nxt,
			   atw->rcv_wnd >> atw->rcv_wscale,
			 atw->ts_ok ? atcp_ts_now() + atw->ts_offset : 0,
			 atw->ts_recent, TCPHDR_ACK);
}

/**
 * atcp_v4_rcv() - the IP layer's handler for our protocol number
 * @skb: the segment
 *
 * Validates the header and checksum, fills in atcp_skb_cb, finds the
 * socket and gives it the segment: to a TIME_WAIT minisocket, a request
 * sock, a listener, or a full socket (bh-locked, or to its backlog while a
 * process owns it); answers with a RST when no socket takes it.
 *
 * Context: softirq, under rcu_read_lock() (net_protocol handler).
 * Return: 0; the skb is consumed.
 */
int atcp_v4_rcv(struct sk_buff *skb)
{
	struct net *net = dev_net(skb->dev);
	const struct iphdr *iph;
	const struct tcphdr *th;
	int sdif = inet_sdif(skb);
	bool refcounted;
	struct sock *sk;
	int ret;

	if (skb->pkt_type != PACKET_HOST)
		goto discard_it;
	ATCP_INC_STATS(net, ATCP_MIB_IN_SEGS);
	if (!atcp_v4_validate(net, skb))
		goto discard_it;
	th = (const struct tcphdr *)skb->data;
	iph = ip_hdr(skb);

lookup:
	sk = __inet_lookup_skb(&atcp_hashinfo, skb, __tcp_hdrlen(th), th->source,
			       th->dest, sdif, &refcounted);
	if (!sk)
		goto no_socket;

process:
	if (sk->sk_state == TCP_TIME_WAIT)
		goto do_time_wait;

	if (sk->sk_state == TCP_NEW_SYN_RECV) {
		struct request_sock *req = inet_reqsk(sk);
		struct sock *nsk;

		sk = req->rsk_listener;
		if (unlikely(sk->sk_state != TCP_LISTEN)) {
			inet_csk_reqsk_queue_drop_and_put(sk, req);
			goto lookup;
		}
		sock_hold(sk);
		refcounted = true;
		nsk = atcp_check_req(sk, skb, req);
		if (!nsk) {
			reqsk_put(req);
			goto discard_and_relse;
		}
		if (nsk == sk) {
			reqsk_put(req);
		} else if (atcp_child_process(sk, nsk, skb) == ATCP_SEG_RESET) {
			atcp_v4_send_reset(nsk, skb);
			goto discard_and_relse;
		} else {
			sock_put(sk);
			return 0;
		}
	}

	if (!xfrm4_policy_check(sk, XFRM_POLICY_IN, skb))
		goto discard_and_relse;
	nf_reset_ct(skb);

	if (sk->sk_state == TCP_LISTEN) {
		ret = atcp_v4_do_rcv(sk, skb);
		goto put_and_return;
	}

	sk_incoming_cpu_update(sk);
	bh_lock_sock_nested(sk);
	ret = 0;
	if (!sock_owned_by_user(sk)) {
		ret = atcp_v4_do_rcv(sk, skb);
	} else if (sk_add_backlog(sk, skb, READ_ONCE(sk->sk_rcvbuf) +
				  READ_ONCE(sk->sk_sndbuf))) {
		bh_unlock_sock(sk);
		ATCP_INC_STATS(net, ATCP_MIB_DROP_BACKLOG);
		goto discard_and_relse;
	}
	bh_unlock_sock(sk);

put_and_return:
	if (refcounted)
		sock_put(sk);
	return ret;

no_socket:
	if (!xfrm4_policy_check(NULL, XFRM_POLICY_IN, skb))
		goto discard_it;
	ATCP_INC_STATS(net, ATCP_MIB_DROP_NO_SOCKET);
	atcp_v4_send_reset(NULL, skb);
discard_it:
	kfree_skb(skb);
	return 0;

discard_and_relse:
	if (refcounted)
		sock_put(sk);
	goto discard_it;

do_time_wait:
	switch (atcp_timewait_state_process(inet_twsk(sk), skb)) {
	case TCP_TW_SYN: {
		struct sock *sk2;

		sk2 = inet_lookup_listener(net, &atcp_hashinfo, skb,
					   __tcp_hdrlen(th), iph->saddr,
					   th->source, iph->daddr, th->dest,
					   inet_iif(skb), sdif);
		if (sk2) {
			inet_twsk_deschedule_put(inet_twsk(sk));
			ATCP_INC_STATS(net, ATCP_MIB_TW_RECYCLED);
			sk = sk2;
			refcounted = false;
			goto process;
		}
		atcp_v4_timewait_ack(inet_twsk(sk), skb);
		inet_twsk_put(inet_twsk(sk));
		break;
	}
	case TCP_TW_ACK:
		atcp_v4_timewait_ack(inet_twsk(sk), skb);
		inet_twsk_put(inet_twsk(sk));
		break;
	case TCP_TW_RST:
		atcp_v4_send_reset(sk, skb);
		inet_twsk_deschedule_put(inet_twsk(sk));
		break;
	case TCP_TW_SUCCESS:
		break;
	}
	goto discard_it;
}

/**
 * atcp_v4_mtu_reduced() - the path MTU went down
 * @sk: the socket
 *
 * The path MTU an ICMP "fragmentation needed" reported is lower than what
 * we send: take the new MSS and resend what was lost to it at once, without
 * counting it as congestion (tcp_v4_mtu_reduced, tcp_simple_retransmit).
 *
 * Context: the socket owned: softirq under bh_lock_sock() with no user
 * owner (atcp_v4_err()), or atcp_release_cb().
 */
void atcp_v4_mtu_reduced(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct dst_entry *dst;
	u32 mtu;

	if ((1 << sk->sk_state) & (TCPF_LISTEN | TCPF_CLOSE))
		return;
	mtu = READ_ONCE(ap->mtu_info);
	dst = inet_csk_update_pmtu(sk, mtu);
	if (!dst)
		return;
	if (mtu < dst_mtu(dst) && ip_dont_fragment(sk, dst))
		WRITE_ONCE(sk->sk_err_soft, EMSGSIZE);
	mtu = dst_mtu(dst);
	if (inet_sk(sk)->pmtudisc == IP_PMTUDISC_DONT ||
	    !ip_sk_accept_pmtu(sk) || inet_csk(sk)->icsk_pmtu_cookie <= mtu)
		return;
	atcp_sync_mss(sk, mtu);
	if (atcp_flight(ap))
		atcp_mark_oversized_lost(sk);
}

/*
 * An ICMP error about a request sock: only one quoting our SYN-ACK counts,
 * and a hard one removes the request silently (tcp_req_err): accept()
 * has no way to report a network error.
 */
static void atcp_req_err(struct sock *sk, u32 seq, bool abort)
{
	struct request_sock *req = inet_reqsk(sk);
	struct net *net = sock_net(sk);

	if (seq != atcp_rsk(req)->snt_isn) {
		ATCP_INC_STATS(net, ATCP_MIB_OOW_ICMPS);
	} else if (abort) {
		inet_csk_reqsk_queue_drop(req->rsk_listener, req);
		ATCP_INC_STATS(net, ATCP_MIB_LISTEN_DROPS);
	}
	reqsk_put(req);
}

/**
 * atcp_v4_err() - an ICMP error quoting one of our segments
 * @skb: the ICMP payload: the quoted IP header and the first bytes of TCP
 * @info: the ICMP's info (the next-hop MTU for "fragmentation needed")
 *
 * As tcp_v4_err: the quoted segment must be one we sent and have not seen
 * acknowledged, [snd_una, snd_nxt], or a blind attacker could end
 * connections; then PMTU updates, and errors that end a connection still
 * opening.  An established connection keeps trying and reports the error
 * only if it times out (at once with IP_RECVERR).  Work that needs the
 * socket is deferred to atcp_release_cb() while a process owns it.
 *
 * Context: softirq (the ICMP handler); takes bh_lock_sock() itself.
 * Return: 0, or -ENOENT when the ICMP names no socket of ours.
 */
int atcp_v4_err(struct sk_buff *skb, u32 info)
{
	const struct iphdr *iph = (const struct iphdr *)skb->data;
	const int type = icmp_hdr(skb)->type;
	const int code = icmp_hdr(skb)->code;
	struct net *net = dev_net(skb->dev);
	const struct tcphdr *th;
	struct atcp_sock *ap;
	struct sock *sk;
	u32 seq;
	int err;

	/* icmp_socket_deliver() pulled the IP header and 8 bytes after it. */
	th = (const struct tcphdr *)(skb->data + (iph->ihl << 2));
	sk = __inet_lookup_established(net, &atcp_hashinfo, iph->daddr,
				       th->dest, iph->saddr, ntohs(th->source),
				       inet_iif(skb), 0);
	if (!sk)
		return -ENOENT;
	if (sk->sk_state == TCP_TIME_WAIT) {
		inet_twsk_put(inet_twsk(sk));
		return 0;
	}
	seq = ntohl(th->seq);
	if (sk->sk_state == TCP_NEW_SYN_RECV) {
		bool abort = type == ICMP_PARAMETERPROB ||
			     type == ICMP_TIME_EXCEEDED ||
			     (type == ICMP_DEST_UNREACH &&
			      (code == ICMP_NET_UNREACH || code == ICMP_HOST_UNREACH));

		atcp_req_err(sk, seq, abort);
		return 0;
	}

	bh_lock_sock(sk);
	if (sock_owned_by_user(sk) &&
	    !(type == ICMP_DEST_UNREACH && code == ICMP_FRAG_NEEDED))
		ATCP_INC_STATS(net, ATCP_MIB_LOCK_DROPPED_ICMPS);
	if (sk->sk_state == TCP_CLOSE)
		goto out;

	ap = atcp_sk(sk);
	if (sk->sk_state != TCP_LISTEN &&
	    !between(seq, ap->snd_una, READ_ONCE(ap->snd_nxt))) {
		ATCP_INC_STATS(net, ATCP_MIB_OOW_ICMPS);
		goto out;
	}

	switch (type) {
	case ICMP_PARAMETERPROB:
		err = EPROTO;
		break;
	case ICMP_DEST_UNREACH:
		if (code > NR_ICMP_UNREACH)
			goto out;
		if (code == ICMP_FRAG_NEEDED) {
			/* A listener's SYN-ACKs are small: not its concern. */
			if (sk->sk_state == TCP_LISTEN)
				goto out;
			WRITE_ONCE(ap->mtu_info, info);
			if (!sock_owned_by_user(sk))
				atcp_v4_mtu_reduced(sk);
			else if (!test_and_set_bit(ATCP_MTU_REDUCED_DEFERRED,
						   &ap->deferred))
				sock_hold(sk);
			goto out;
		}
		err = icmp_err_convert[code].errno;
		if (code == ICMP_NET_UNREACH || code == ICMP_HOST_UNREACH)
			atcp_rto_revert(sk, seq);
		break;
	case ICMP_TIME_EXCEEDED:
		err = EHOSTUNREACH;
		break;
	default:
		/* Source quench, redirects and the rest change nothing here. */
		goto out;
	}

	switch (sk->sk_state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RECV:
		/* (ip_icmp_error(), which would queue it for IP_RECVERR
		 * too, is not exported to modules: the errno tells.)
		 */
		if (!sock_owned_by_user(sk))
			atcp_done_with_error(sk, err);
		else
			WRITE_ONCE(sk->sk_err_soft, err);
		goto out;
	}

	/* RFC 1122 4.2.3.9: an established connection is not aborted. */
	if (!sock_owned_by_user(sk) && atcp_sk_recverr(sk)) {
		WRITE_ONCE(sk->sk_err, err);
		sk_error_report(sk);
	} else {
		WRITE_ONCE(sk->sk_err_soft, err);
	}
out:
	bh_unlock_sock(sk);
	sock_put(sk);
	return 0;
}

/**
 * atcp_init_isn() - an initial sequence number
 * @saddr: local address
 * @daddr: remote address
 * @sport: local port
 * @dport: remote port
 *
 * RFC 6528: a keyed hash of the 4-tuple plus a clock ticking every 4 us.
 *
 * Context: any context.
 * Return: the ISN.
 */
u32 atcp_init_isn(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport)
{
	u32 hash;

	net_get_random_once(&atcp_isn_secret, sizeof(atcp_isn_secret));
	hash = siphash_3u32((__force u32)saddr, (__force u32)daddr,
			    (__force u32)sport << 16 | (__force u32)dport,
			    &atcp_isn_secret);
	return hash + (u32)(ktime_get_real_ns() >> 12);
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_init_isn);

/**
 * atcp_synack_mss() - the MSS a SYN-ACK announces
 * @sk: the listener
 * @dst: the route to the peer
 *
 * Context: any context.
 * Return: the route's advertised MSS, within the listener's TCP_MAXSEG.
 */
u32 atcp_synack_mss(const struct sock *sk, const struct dst_entry *dst)
{
	u32 user_mss = READ_ONCE(atcp_sk(sk)->uopt.user_mss);
	u32 mss = dst_metric_advmss(dst);

	return user_mss && user_mss < mss ? user_mss : mss;
}

/**
 * atcp_v4_send_synack() - send a request sock's SYN-ACK from the listener
 * @sk: the listener
 * @req: the request sock
 * @dst: the route to the peer, consumed; NULL: find it
 *
 * Context: softirq, the listener not locked (the SYN, or the request's
 * retransmit timer).
 * Return: 0, or a negative errno (no route, no memory, or the IP layer's).
 */
int atcp_v4_send_synack(const struct sock *sk, struct request_sock *req,
			struct dst_entry *dst)
{
	const struct inet_request_sock *ireq = inet_rsk(req);
	struct atcp_request_sock *areq = atcp_rsk(req);
	struct atcp_out_options opts = {};
	struct sk_buff *skb;
	struct tcphdr *th;
	struct flowi4 fl4;
	int err;

	if (!dst)
		dst = inet_csk_route_req(sk, &fl4, req);
	if (!dst)
		return -EHOSTUNREACH;
	skb = alloc_skb(ATCP_MAX_HEADER, GFP_ATOMIC);
	if (!skb) {
		dst_release(dst);
		return -ENOBUFS;
	}
	skb_reserve(skb, ATCP_MAX_HEADER);
	skb_dst_set(skb, dst);

	opts.mss = atcp_synack_mss(sk, dst);
	opts.sack_ok = ireq->sack_ok;
	opts.ts_ok = ireq->tstamp_ok;
	opts.ws_ok = ireq->wscale_ok;
	opts.wscale = ireq->rcv_wscale;
	opts.tsval = areq->cookie ? atcp_cookie_tsval(req) :
				    atcp_ts_now() + areq->ts_off;
	opts.tsecr = req->ts_recent;
	th = atcp_push_header(skb, htons(ireq->ir_num), ireq->ir_rmt_port,
			      areq->snt_isn, areq->rcv_isn + 1,
			      TCPHDR_SYN | TCPHDR_ACK |
			      (ireq->ecn_ok ? TCPHDR_ECE : 0),
			      areq->rcv_wnd, &opts);
	atcp_csum(skb, th, ireq->ir_loc_addr, ireq->ir_rmt_addr, false);

	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_OUT_SEGS);
	rcu_read_lock();
	err = ip_build_and_send_pkt(skb, sk, ireq->ir_loc_addr,
				    ireq->ir_rmt_addr,
				    rcu_dereference(ireq->ireq_opt),
				    inet_sk(sk)->tos);
	rcu_read_unlock();
	return net_xmit_eval(err);
}

/**
 * atcp_v4_send_reply() - send a segment with no full socket behind it
 * @net: the namespace, whose control socket sends it
 * @rxskb: the segment it answers (addresses and ports swapped)
 * @seq: the sequence number
 * @ack: the acknowledgment number
 * @win: the window field, already scaled
 * @tsval: the TSval; 0: no timestamp option
 * @tsecr: the TSecr
 * @flags: TCPHDR_* flags
 *
 * Every RST, and the ACKs of TIME_WAIT and request socks, go through
 * here, sent from the netns control socket.
 *
 * Context: any context but hard irq: disables BHs around the control
 * socket's lock.
 */
void atcp_v4_send_reply(struct net *net, struct sk_buff *rxskb, u32 seq,
			u32 ack, u32 win, u32 tsval, u32 tsecr, u8 flags)
{
	bool rst = flags & TCPHDR_RST;
	const struct tcphdr *rxth = tcp_hdr(rxskb);
	const struct iphdr *rxiph = ip_hdr(rxskb);
	struct atcp_net *an = atcp_pernet(net);
	struct atcp_out_options opts = {};
	struct sock *ctl_sk = an->ctl_sk;
	struct flowi4 fl4 = {};
	struct sk_buff *skb;
	struct tcphdr *th;
	struct rtable *rt;

	fl4.flowi4_oif = inet_iif(rxskb);
	fl4.daddr = rxiph->saddr;
	fl4.saddr = rxiph->daddr;
	fl4.flowi4_proto = atcp_proto_num;
	fl4.fl4_sport = rxth->dest;
	fl4.fl4_dport = rxth->source;
	rt = ip_route_output_flow(net, &fl4, ctl_sk);
	if (IS_ERR(rt))
		return;

	skb = alloc_skb(ATCP_MAX_HEADER, GFP_ATOMIC);
	if (!skb) {
		ip_rt_put(rt);
		return;
	}
	skb_reserve(skb, ATCP_MAX_HEADER);
	skb_dst_set(skb, &rt->dst);

	if (tsval && !rst) {
		opts.ts_ok = 1;
		opts.tsval = tsval;
		opts.tsecr = tsecr;
	}
	th = atcp_push_header(skb, rxth->dest, rxth->source, seq, ack, flags,
			      rst ? 0 : win, &opts);
	atcp_csum(skb, th, rxiph->daddr, rxiph->saddr, false);

	local_bh_disable();
	bh_lock_sock(ctl_sk);
	ATCP_INC_STATS(net, ATCP_MIB_OUT_SEGS);
	if (rst)
		ATCP_INC_STATS(net, ATCP_MIB_OUT_RSTS);
	ip_build_and_send_pkt(skb, ctl_sk, rxiph->daddr, rxiph->saddr, NULL,
			      inet_sk(ctl_sk)->tos);
	bh_unlock_sock(ctl_sk);
	local_bh_enable();
}

/**
 * atcp_v4_send_reset() - the RST that answers a segment
 * @sk: the socket the segment came to (a full socket, a TIME_WAIT
 *	minisocket or a listener), or NULL when there is none
 * @skb: the segment; never answered if it is a RST itself
 *
 * RFC 9293 3.10.7.1: seq from the segment's ACK, else an ACK of it.
 * Without a socket only a segment to a local address is answered.
 *
 * Context: softirq, or process context from the backlog; @sk need not be
 * locked.
 */
void atcp_v4_send_reset(const struct sock *sk, struct sk_buff *skb)
{
	const struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
	struct net *net;

	if (cb->tcp_flags & TCPHDR_RST)
		return;
	/*
	 * With a socket, the lookup vouched for the route, and a segment
	 * from the backlog may have lost its dst (sk_add_backlog).
	 */
	if (!sk && skb_rtable(skb)->rt_type != RTN_LOCAL)
		return;
	net = sk ? sock_net(sk) : dev_net(skb_dst(skb)->dev);
	if (cb->tcp_flags & TCPHDR_ACK)
		atcp_v4_send_reply(net, skb, cb->ack_seq, 0, 0, 0, 0, TCPHDR_RST);
	else
		atcp_v4_send_reply(net, skb, 0, cb->end_seq, 0, 0, 0,
				   TCPHDR_RST | TCPHDR_ACK);
}

/**
 * atcp_v4_connect() - start an active open (proto->connect)
 * @sk: the socket
 * @uaddr: the address to connect to (struct sockaddr_in)
 * @addr_len: its length
 *
 * Route, source address and port, ISN, then SYN_SENT and the SYN
 * (atcp_connect()).
 *
 * Context: process context, the socket owned (lock_sock(), from
 * inet_stream_connect()).
 * Return: 0, or a negative errno with the socket back in CLOSE.
 */
int atcp_v4_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	const struct sockaddr_in *usin = (struct sockaddr_in *)uaddr;
	struct atcp_net *an = atcp_sk_net(sk);
	struct inet_sock *inet = inet_sk(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	__be16 orig_sport, orig_dport;
	struct flowi4 *fl4;
	struct rtable *rt;
	__be32 daddr;
	int err;

	if (addr_len < sizeof(struct sockaddr_in))
		return -EINVAL;
	if (usin->sin_family != AF_INET)
		return -EAFNOSUPPORT;

	daddr = usin->sin_addr.s_addr;
	orig_sport = inet->inet_sport;
	orig_dport = usin->sin_port;
	fl4 = &inet->cork.fl.u.ip4;
	rt = ip_route_connect(fl4, daddr, inet->inet_saddr,
			      sk->sk_bound_dev_if, atcp_proto_num, orig_sport,
			      orig_dport, sk);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (rt->rt_flags & (RTCF_MULTICAST | RTCF_BROADCAST)) {
		ip_rt_put(rt);
		return -ENETUNREACH;
	}
	daddr = fl4->daddr;

	if (!inet->inet_saddr) {
		err = inet_bhash2_update_saddr(sk, &fl4->saddr, AF_INET);
		if (err) {
			ip_rt_put(rt);
			return err;
		}
	} else {
		sk_rcv_saddr_set(sk, inet->inet_saddr);
	}
	inet->inet_dport = usin->sin_port;
	sk_daddr_set(sk, daddr);
	inet_csk(sk)->icsk_ext_hdr_len = 0;

	/* Pick the source port and hash the socket while in SYN_SENT. */
	atcp_set_state(sk, TCP_SYN_SENT);
	err = inet_hash_connect(&an->tw_death_row, sk);
	if (err)
		goto failure;

	rt = ip_route_newports(fl4, rt, orig_sport, orig_dport,
			       inet->inet_sport, inet->inet_dport, sk);
	if (IS_ERR(rt)) {
		err = PTR_ERR(rt);
		rt = NULL;
		goto failure;
	}
	atcp_setup_caps(sk, &rt->dst);
	rt = NULL;

	if (!ap->iss)
		ap->iss = atcp_init_isn(inet->inet_saddr, inet->inet_daddr,
					inet->inet_sport, inet->inet_dport);
	atomic_set(&inet->inet_id, get_random_u16());

	err = atcp_connect(sk);
	if (err)
		goto failure;
	return 0;

failure:
	atcp_set_state(sk, TCP_CLOSE);
	inet_bhash2_reset_saddr(sk);
	ip_rt_put(rt);
	sk->sk_route_caps = 0;
	inet->inet_dport = 0;
	return err;
}

static struct sock *atcp_af_syn_recv_sock(const struct sock *sk,
					  struct sk_buff *skb,
					  struct request_sock *req,
					  struct dst_entry *dst,
					  struct request_sock *req_unhash,
					  bool *own_req,
					  void (*opt_child_init)(struct sock *newsk,
								 const struct sock *sk))
{
	return atcp_v4_syn_recv_sock(sk, skb, req, dst, req_unhash, own_req);
}

const struct inet_connection_sock_af_ops atcp_ipv4_af_ops = {
	.queue_xmit	= ip_queue_xmit,
	.rebuild_header	= inet_sk_rebuild_header,
	.conn_request	= atcp_v4_conn_request,
	.syn_recv_sock	= atcp_af_syn_recv_sock,
	.net_header_len	= sizeof(struct iphdr),
	.setsockopt	= ip_setsockopt,
	.getsockopt	= ip_getsockopt,
	.addr2sockaddr	= inet_csk_addr2sockaddr,
	.sockaddr_len	= sizeof(struct sockaddr_in),
};
