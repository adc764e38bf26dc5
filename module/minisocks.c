// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: request sockets (SYN_RCVD) and TIME_WAIT minisockets.
 *
 * A SYN to a listener makes a request sock, hashed in the established
 * table, whose SYN-ACK the inet request timer retransmits; the ACK that
 * completes the handshake turns it into a full child socket on the
 * listener's accept queue.  A connection that reaches TIME_WAIT leaves a
 * minisocket of a few dozen bytes behind in place of the full socket.
 */
#include <linux/module.h>
#include <net/ip.h>
#include <net/inet_common.h>
#include <net/tcp_states.h>

#include "atcp.h"
#include "trace.h"

static int atcp_rtx_synack(const struct sock *sk, struct request_sock *req)
{
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_SYNACK_RETRANS);
	return atcp_v4_send_synack(sk, req, NULL);
}

static void atcp_reqsk_send_ack(const struct sock *sk, struct sk_buff *skb,
				struct request_sock *req)
{
	struct atcp_request_sock *areq = atcp_rsk(req);

	atcp_v4_send_reply(sock_net(sk), skb, areq->snt_isn + 1,
			   areq->rcv_isn + 1,
			   areq->rcv_wnd >> inet_rsk(req)->rcv_wscale,
			 inet_rsk(req)->tstamp_ok ? atcp_ts_now() + areq->ts_off : 0,
			 req->ts_recent, TCPHDR_ACK);
}

static void atcp_syn_ack_timeout(const struct request_sock *req)
{
}

static void atcp_reqsk_destructor(struct request_sock *req)
{
	kfree(rcu_dereference_protected(inet_rsk(req)->ireq_opt, 1));
}

struct request_sock_ops atcp_request_sock_ops __read_mostly = {
	.family		= PF_INET,
	.obj_size	= sizeof(struct atcp_request_sock),
	.rtx_syn_ack	= atcp_rtx_synack,
	.send_ack	= atcp_reqsk_send_ack,
	.send_reset	= atcp_reqsk_send_reset,
	.destructor	= atcp_reqsk_destructor,
	.syn_ack_timeout = atcp_syn_ack_timeout,
};

/* The last reference is gone: after expiry, a RST, reuse or a purge. */
static void atcp_twsk_destructor(struct sock *sk)
{
	struct inet_timewait_sock *tw = inet_twsk(sk);
	unsigned long expires = tw->tw_timer.expires;
	u32 late = time_after_eq(jiffies, expires) ?
		   jiffies_to_msecs(jiffies - expires) : 0;

	trace_atcp_timewait(tw, ATCP_TW_END, 0, late);
}

struct timewait_sock_ops atcp_timewait_sock_ops = {
	.twsk_obj_size	= sizeof(struct atcp_timewait_sock),
	.twsk_destructor = atcp_twsk_destructor,
};

static void atcp_twsk_restart(struct inet_timewait_sock *tw, int timeo)
{
	inet_twsk_reschedule(tw, timeo);
	trace_atcp_timewait(tw, ATCP_TW_RESTART, jiffies_to_msecs(timeo), 0);
}

/**
 * atcp_reqsk_init() - fill in a new request sock
 * @sk: the listener
 * @req: the request sock, just allocated
 * @skb: the segment that made it (a SYN, or the ACK of a SYN cookie)
 * @opt: the options the connection will use
 *
 * Every field of a request sock that the inet code leaves to us.  The cache
 * is SLAB_TYPESAFE_BY_RCU and not zeroed: whatever is not written here is
 * another connection's.
 *
 * Context: softirq, the listener not locked; the request not yet hashed.
 */
void atcp_reqsk_init(const struct sock *sk, struct request_sock *req,
		     struct sk_buff *skb, const struct atcp_options *opt)
{
	struct inet_request_sock *ireq = inet_rsk(req);
	struct atcp_request_sock *areq = atcp_rsk(req);
	const struct tcphdr *th = tcp_hdr(skb);
	u32 space = READ_ONCE(sk->sk_rcvbuf);
	u32 clamp = atcp_sk(sk)->window_clamp;

	ireq->ir_rmt_port = th->source;
	ireq->ir_num = ntohs(th->dest);
	sk_rcv_saddr_set(req_to_sk(req), ip_hdr(skb)->daddr);
	sk_daddr_set(req_to_sk(req), ip_hdr(skb)->saddr);
	ireq->ir_mark = inet_request_mark(sk, skb);
	ireq->ir_iif = inet_request_bound_dev_if(sk, skb);
	ireq->ireq_family = AF_INET;
	RCU_INIT_POINTER(ireq->ireq_opt, NULL);

	req->mss = opt->mss ? : ATCP_MSS_DEFAULT;
	req->ts_recent = opt->ts_ok ? opt->tsval : 0;
	ireq->tstamp_ok = opt->ts_ok;
	ireq->sack_ok = opt->sack_ok;
	ireq->wscale_ok = opt->wscale_ok;
	ireq->snd_wscale = opt->wscale_ok ? opt->wscale : 0;
	ireq->ecn_ok = 0;
	ireq->acked = 0;
	ireq->no_srccheck = atcp_sk_transparent(sk);
	ireq->smc_ok = 0;

	memset((char *)areq + offsetof(struct atcp_request_sock, rcv_isn), 0,
	       sizeof(*areq) - offsetof(struct atcp_request_sock, rcv_isn));
	/* Half the buffer is offered; the rest pays for overhead. */
	space -= space >> 1;
	/*
	 * The listener's TCP_WINDOW_CLAMP, or its SO_RCVBUF, bounds the
	 * scale and the window.
	 */
	clamp = atcp_initial_clamp(sk, clamp, space);
	ireq->rcv_wscale = ireq->wscale_ok ?
			   atcp_select_wscale(space, atcp_rmem_max(sk), clamp) : 0;
	areq->window_clamp = 65535U << ireq->rcv_wscale;
	if (clamp)
		areq->window_clamp = min(areq->window_clamp, clamp);
	areq->rcv_wnd = round_down(min(space, areq->window_clamp),
				   1U << ireq->rcv_wscale);
	areq->peer_window = ntohs(th->window);
}

/**
 * atcp_v4_conn_request() - a SYN for a listener
 * @sk: the listener
 * @skb: the SYN
 *
 * RFC 9293 3.10.7.2: a request sock, hashed and answered with a SYN-ACK;
 * or a SYN cookie when atcp_want_cookie() says so (tcp_conn_request).
 *
 * Context: softirq, the listener not locked.
 * Return: 0; the caller frees the SYN either way.
 */
int atcp_v4_conn_request(struct sock *sk, struct sk_buff *skb)
{
	struct atcp_net *an = atcp_sk_net(sk);
	const struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
	const struct tcphdr *th = tcp_hdr(skb);
	struct atcp_request_sock *areq;
	struct request_sock *req;
	struct atcp_options opt;
	struct dst_entry *dst;
	struct flowi4 fl4;
	bool want_cookie;

	if (skb_rtable(skb)->rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST))
		goto drop;

	/* The inet request timer reads the listener's retry count. */
	WRITE_ONCE(inet_csk(sk)->icsk_syn_retries,
		   READ_ONCE(an->synack_retries));

	want_cookie = !cb->tw_isn && atcp_want_cookie(sk);
	if (!want_cookie && inet_csk_reqsk_queue_is_full(sk))
		goto drop;
	if (sk_acceptq_is_full(sk)) {
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_LISTEN_OVERFLOWS);
		goto drop;
	}

	atcp_parse_options(skb, th, &opt);
	req = inet_reqsk_alloc(&atcp_request_sock_ops, sk, true);
	if (!req)
		goto drop;
	areq = atcp_rsk(req);

	/*
	 * A cookie keeps the options that need state only where the
	 * timestamp can carry them back (syncookies.c).
	 */
	if (want_cookie && !opt.ts_ok) {
		opt.wscale_ok = 0;
		opt.sack_ok = 0;
	}
	atcp_reqsk_init(sk, req, skb, &opt);
	areq->rcv_isn = cb->seq;
	req->timeout = ATCP_TIMEOUT_INIT;
	if (want_cookie) {
		areq->snt_isn = atcp_cookie_isn(sk, skb, &req->mss);
		areq->ts_off = atcp_cookie_ts_off(skb);
		areq->cookie = 1;
	} else {
		areq->snt_isn = cb->tw_isn ? :
			atcp_init_isn(ip_hdr(skb)->daddr, ip_hdr(skb)->saddr,
				      th->dest, th->source);
		areq->ts_off = get_random_u32();
	}

	if (security_inet_conn_request(sk, skb, req))
		goto drop_and_free;
	dst = inet_csk_route_req(sk, &fl4, req);
	if (!dst)
		goto drop_and_free;
	atcp_openreq_init_rwnd(req, atcp_synack_mss(sk, dst));
	/* A cookie carries ECN back in the timestamp alone (syncookies.c). */
	if (!want_cookie || opt.ts_ok)
		atcp_ecn_create_request(sk, req, skb, dst);
	areq->snt_synack_us = tcp_clock_us();
	if (want_cookie) {
		atcp_v4_send_synack(sk, req, dst);
		reqsk_free(req);
		return 0;
	}
	/*
	 * Hashed before its SYN-ACK leaves: the ACK may come back on
	 * another CPU before this one returns, and must find it.  A lost
	 * first SYN-ACK is the request timer's to resend.
	 */
	if (unlikely(!inet_csk_reqsk_queue_hash_add(sk, req, req->timeout))) {
		dst_release(dst);
		reqsk_free(req);
		return 0;
	}
	atcp_v4_send_synack(sk, req, dst);
	reqsk_put(req);
	return 0;

drop_and_free:
	reqsk_free(req);
drop:
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_LISTEN_DROPS);
	return 0;
}

/**
 * atcp_v4_syn_recv_sock() - make the full socket for a completed handshake
 * @sk: the listener
 * @skb: the ACK that completed it
 * @req: the request sock (or the one a SYN cookie stands for)
 * @dst: a route already found, or NULL
 * @req_unhash: the request sock to take out of the hash, or NULL
 * @own_req: set when this child replaced @req_unhash in the hash
 *
 * The child is a clone of the listener with the request's state
 * (inet_connection_sock_af_ops.syn_recv_sock, tcp_v4_syn_recv_sock).
 *
 * Context: softirq, the listener not locked.
 * Return: the child, bh-locked, with a reference, hashed; or NULL (accept
 * queue full, no memory or route, or another CPU made it first).
 */
struct sock *atcp_v4_syn_recv_sock(const struct sock *sk, struct sk_buff *skb,
				   struct request_sock *req,
				   struct dst_entry *dst,
				   struct request_sock *req_unhash,
				   bool *own_req)
{
	struct inet_request_sock *ireq = inet_rsk(req);
	struct atcp_request_sock *areq = atcp_rsk(req);
	bool found_dup_sk = false;
	struct inet_sock *newinet;
	struct atcp_sock *ap;
	struct sock *newsk;

	if (sk_acceptq_is_full(sk))
		goto overflow;
	newsk = inet_csk_clone_lock(sk, req, GFP_ATOMIC);
	if (!newsk)
		goto exit;

	ap = atcp_sk(newsk);
	atcp_cong_clone(newsk);
	atcp_clear_connection(ap);
	/* No timer of the listener's can have work pending for the child. */
	ap->deferred = 0;
	atcp_init_xmit_timers(newsk);
	memset(&inet_csk(newsk)->icsk_ack, 0, sizeof(inet_csk(newsk)->icsk_ack));
	inet_csk(newsk)->icsk_ack.lrcvtime = tcp_jiffies32;
	inet_csk(newsk)->icsk_rto = ATCP_TIMEOUT_INIT;

	ap->iss = areq->snt_isn;
	ap->snd_una = areq->snt_isn + 1;
	ap->snd_nxt = ap->snd_una;
	ap->snd_max = ap->snd_una;
	ap->snd_sml = ap->snd_una;
	ap->write_seq = ap->snd_una;
	ap->pushed_seq = ap->snd_una;
	ap->irs = areq->rcv_isn;
	ap->rcv_nxt = areq->rcv_isn + 1;
	ap->copied_seq = ap->rcv_nxt;
	ap->rcv_wup = ap->rcv_nxt;
	/* The window the SYN-ACK offered, and from it the window grows. */
	ap->rcv_wnd = areq->rcv_wnd;
	ap->rcv_ssthresh = ap->rcv_wnd;
	ap->snd_wl1 = areq->rcv_isn;
	ap->snd_wnd = areq->peer_window;
	ap->max_window = ap->snd_wnd;
	ap->wscale_ok = ireq->wscale_ok;
	ap->snd_wscale = ireq->wscale_ok ? ireq->snd_wscale : 0;
	ap->rcv_wscale = ireq->rcv_wscale;
	ap->window_clamp = areq->window_clamp;
	ap->sack_ok = ireq->sack_ok;
	ap->ts_ok = ireq->tstamp_ok;
	ap->ecn_flags = ireq->ecn_ok ? ATCP_ECN_OK : 0;
	ap->ts_offset = areq->ts_off;
	ap->ts_recent = req->ts_recent;
	ap->ts_recent_stamp = ktime_get_seconds();
	ap->rx_mss_clamp = req->mss;
	ap->rcv_tstamp = tcp_jiffies32;
	/* Karn's rule; a cookie's SYN-ACK time is not known. */
	if (!req->num_retrans && areq->snt_synack_us)
		atcp_rtt_sample(newsk, (u32)tcp_clock_us() - areq->snt_synack_us);

	newinet = inet_sk(newsk);
	sk_daddr_set(newsk, ireq->ir_rmt_addr);
	sk_rcv_saddr_set(newsk, ireq->ir_loc_addr);
	newinet->inet_saddr = ireq->ir_loc_addr;
	RCU_INIT_POINTER(newinet->inet_opt, NULL);
	newinet->mc_index = inet_iif(skb);
	newinet->mc_ttl = ip_hdr(skb)->ttl;
	atomic_set(&newinet->inet_id, get_random_u16());

	if (!dst) {
		dst = inet_csk_route_child_sock(sk, newsk, req);
		if (!dst)
			goto put_and_exit;
	}
	atcp_setup_caps(newsk, dst);
	ap->advmss = dst_metric_advmss(dst);
	if (ap->uopt.user_mss && ap->uopt.user_mss < ap->advmss)
		ap->advmss = ap->uopt.user_mss;
	atcp_sync_mss(newsk, dst_mtu(dst));
	inet_csk(newsk)->icsk_ack.rcv_mss = min_t(u32, ap->advmss, ATCP_MSS_DEFAULT);

	if (__inet_inherit_port(sk, newsk) < 0)
		goto put_and_exit;
	*own_req = inet_ehash_nolisten(newsk, req_to_sk(req_unhash),
				       &found_dup_sk);
	if (!*own_req && !req_unhash && found_dup_sk) {
		/*
		 * Two ACKs of one SYN cookie on two CPUs: the other made
		 * the connection, and ehash_nolisten destroyed this one.
		 */
		bh_unlock_sock(newsk);
		sock_put(newsk);
		return NULL;
	}
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_PASSIVE_OPENS);
	return newsk;

overflow:
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_LISTEN_OVERFLOWS);
exit:
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_LISTEN_DROPS);
	return NULL;
put_and_exit:
	inet_csk_prepare_forced_close(newsk);
	atcp_done(newsk);
	goto exit;
}

/**
 * atcp_in_window() - is a segment inside a window?
 * @seq: the segment's first sequence number
 * @end_seq: its end
 * @s_win: the window's left edge
 * @e_win: its right edge
 *
 * The acceptability test of RFC 9293 3.10.7.4 for request socks and
 * TIME_WAIT, which have no full socket (tcp_in_window): a segment at the
 * left edge, or one that overlaps the window.
 *
 * Context: any context.
 * Return: true if acceptable.
 */
ATCP_VISIBLE_FOR_KUNIT bool atcp_in_window(u32 seq, u32 end_seq, u32 s_win,
					   u32 e_win)
{
	if (seq == s_win)
		return true;
	if (after(end_seq, s_win) && before(seq, e_win))
		return true;
	return seq == e_win && seq == end_seq;
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_in_window);

/**
 * atcp_check_req() - a segment for a request sock
 * @sk: the listener
 * @skb: the segment
 * @req: the request sock the lookup found
 *
 * RFC 9293 3.10.7.4 for SYN_RECEIVED, the request's side: a retransmitted
 * SYN is answered with the SYN-ACK again, an acceptable ACK makes the
 * child (atcp_v4_syn_recv_sock()) and completes the hashdance
 * (tcp_check_req).
 *
 * Context: softirq, without the listener's lock: the request sock's fields
 * are written once at creation but ts_recent and the retransmit counters,
 * which tolerate races.
 * Return: the child, bh-locked with a reference, on a completed handshake
 * (for atcp_child_process()); the listener when the listener is to answer
 * (with a RST); or NULL when the segment is done with.
 */
struct sock *atcp_check_req(struct sock *sk, struct sk_buff *skb,
			    struct request_sock *req)
{
	struct atcp_request_sock *areq = atcp_rsk(req);
	const struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
	u8 flags = cb->tcp_flags & (TCPHDR_SYN | TCPHDR_ACK | TCPHDR_RST);
	struct net *net = sock_net(sk);
	bool paws_reject = false;
	struct sock *child;
	bool own_req;

	/*
	 * PAWS as for a connection, with ts_recent taken as fresh: the
	 * request lives only as long as its SYN-ACK is retransmitted.
	 */
	if (cb->has_ts && inet_rsk(req)->tstamp_ok)
		paws_reject = atcp_paws_reject(req->ts_recent,
					       ktime_get_seconds(), cb->tsval,
					       flags & TCPHDR_RST);

	/* A retransmitted SYN: our SYN-ACK was lost. */
	if (flags == TCPHDR_SYN && cb->seq == areq->rcv_isn && !paws_reject) {
		if (!atcp_oow_rate_limited_at(net, &areq->last_oow_ack_time) &&
		    !inet_rtx_syn_ack(sk, req))
			mod_timer_pending(&req->rsk_timer, jiffies +
					  min_t(unsigned long,
						req->timeout << req->num_timeout,
						ATCP_RTO_MAX));
		return NULL;
	}

	/* An ACK of something we did not send: the listener resets it. */
	if ((flags & TCPHDR_ACK) && !(flags & TCPHDR_RST) &&
	    cb->ack_seq != areq->snt_isn + 1)
		return sk;

	if (paws_reject ||
	    !atcp_in_window(cb->seq, cb->end_seq, areq->rcv_isn + 1,
			    areq->rcv_isn + 1 + areq->rcv_wnd)) {
		/* Data without a SYN is no part of an ACK loop. */
		if (!(flags & TCPHDR_RST) &&
		    ((cb->seq != cb->end_seq && !(flags & TCPHDR_SYN)) ||
		     !atcp_oow_rate_limited_at(net, &areq->last_oow_ack_time)))
			req->rsk_ops->send_ack(sk, skb, req);
		ATCP_INC_STATS(net, paws_reject ? ATCP_MIB_PAWS_ESTAB :
						  ATCP_MIB_DROP_OUT_OF_WINDOW);
		return NULL;
	}

	/* The SYN itself, retransmitted with more, lies before the window. */
	if (cb->seq == areq->rcv_isn)
		flags &= ~TCPHDR_SYN;

	/* RFC 5961 3.2: only the exact RST ends a request; others get a
	 * challenge ACK, which counts against the request like any.
	 */
	if ((flags & TCPHDR_RST) && cb->seq != areq->rcv_isn + 1) {
		if (!atcp_oow_rate_limited_at(net, &areq->last_oow_ack_time) &&
		    atcp_challenge_ack_allowed(net)) {
			ATCP_INC_STATS(net, ATCP_MIB_CHALLENGE_ACKS);
			req->rsk_ops->send_ack(sk, skb, req);
		}
		return NULL;
	}
	if (flags & (TCPHDR_RST | TCPHDR_SYN)) {
		if (!(flags & TCPHDR_RST))
			atcp_v4_send_reset(sk, skb);
		ATCP_INC_STATS(net, ATCP_MIB_ATTEMPT_FAILS);
		inet_csk_reqsk_queue_drop(sk, req);
		return NULL;
	}
	if (!(flags & TCPHDR_ACK))
		return NULL;

	/*
	 * TCP_DEFER_ACCEPT: a bare ACK makes no connection until the
	 * deferral ends; the request waits for data, its SYN-ACK not resent
	 * meanwhile (the inet request timer sees acked).
	 */
	if (req->num_timeout <
	    READ_ONCE(inet_csk(sk)->icsk_accept_queue.rskq_defer_accept) &&
	    cb->end_seq == areq->rcv_isn + 1) {
		inet_rsk(req)->acked = 1;
		ATCP_INC_STATS(net, ATCP_MIB_DEFER_ACCEPT_DROPS);
		return NULL;
	}

	child = atcp_v4_syn_recv_sock(sk, skb, req, NULL, req, &own_req);
	if (!child) {
		/* Accept queue full: let the client retry on our SYN-ACK. */
		inet_rsk(req)->acked = 1;
		return NULL;
	}
	if (own_req && cb->has_ts && !after(cb->seq, areq->rcv_isn + 1))
		atcp_sk(child)->ts_recent = cb->tsval;
	return inet_csk_complete_hashdance(sk, child, req, own_req);
}

/**
 * atcp_child_process() - feed the completing segment to a new child
 * @parent: the listener the handshake came to
 * @child: the child socket, bh-locked with a reference (as
 *	atcp_check_req() and atcp_cookie_check() return it)
 * @skb: the ACK that completed the handshake
 *
 * The segment goes through atcp_rcv_state_process(), or to the child's
 * backlog when a process already owns it; the parent's readers are woken
 * when the child left SYN_RECV (tcp_child_process).  Unlocks the child and
 * drops the reference.
 *
 * Context: softirq, the child bh-locked by the caller, the parent not
 * locked.
 * Return: ATCP_SEG_RESET when the caller is to answer with a RST (on
 * behalf of the child) and free the skb, else ATCP_SEG_CONSUMED.
 */
enum atcp_verdict atcp_child_process(struct sock *parent, struct sock *child,
				     struct sk_buff *skb)
	__releases(&((child)->sk_lock.slock))
{
	enum atcp_verdict ret = ATCP_SEG_CONSUMED;
	int state = child->sk_state;

	if (!sock_owned_by_user(child)) {
		ret = atcp_rcv_state_process(child, skb);
		if (state == TCP_SYN_RECV && child->sk_state != state)
			parent->sk_data_ready(parent);
	} else {
		__sk_add_backlog(child, skb);
	}
	bh_unlock_sock(child);
	sock_put(child);
	return ret;
}

/**
 * atcp_time_wait() - replace the socket by a TIME_WAIT minisocket and close it
 * @sk: the socket, in FIN_WAIT_2 or CLOSING
 * @state: the minisocket's state (TCP_TIME_WAIT from every caller)
 * @timeo: the minisocket's lifetime, in jiffies; 0 for tw_timeout
 *
 * Without memory for the minisocket the socket just closes.  Either way
 * atcp_done() follows: an orphan is destroyed.
 *
 * Context: the socket owned by the caller (the receive path); checked
 * under lockdep.
 */
void atcp_time_wait(struct sock *sk, int state, int timeo)
{
	struct atcp_net *an = atcp_sk_net(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	struct inet_timewait_sock *tw;

	sock_owned_by_me(sk);

	tw = inet_twsk_alloc(sk, &an->tw_death_row, state);
	if (tw) {
		struct atcp_timewait_sock *atw = atcp_twsk((struct sock *)tw);

		atw->rcv_nxt = ap->rcv_nxt;
		atw->snd_nxt = ap->snd_nxt;
		atw->rcv_wnd = ap->rcv_wnd;
		atw->rcv_wscale = ap->rcv_wscale;
		atw->ts_ok = ap->ts_ok;
		atw->ts_recent = ap->ts_recent;
		atw->ts_recent_stamp = ap->ts_recent_stamp;
		atw->last_oow_ack_time = 0;
		atw->ts_offset = ap->ts_offset;
		if (!timeo)
			timeo = READ_ONCE(an->tw_timeout) * HZ;

		trace_atcp_timewait(tw, ATCP_TW_START, jiffies_to_msecs(timeo), 0);
		atcp_twsk_hashdance_schedule(tw, sk, &atcp_hashinfo, timeo);
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_TW_CREATED);
	}
	atcp_done(sk);
}

/**
 * atcp_timewait_state_process() - a segment for a TIME_WAIT minisocket
 * @tw: the minisocket, with the lookup's reference
 * @skb: the segment
 *
 * RFC 9293 3.10.7.4 and RFC 1337: PAWS, a new SYN that may reuse the
 * 4-tuple, an in-window RST, the FIN again (tcp_timewait_state_process).
 *
 * Context: softirq, under RCU from the lookup, no lock: the minisocket's
 * fields change only under its ehash bucket lock or by its own timer.
 * Return: TCP_TW_SUCCESS when the segment is done with (the reference
 * dropped here), TCP_TW_ACK to answer with an ACK, TCP_TW_RST with a RST,
 * TCP_TW_SYN when a listener may take the SYN; for these three the caller
 * drops the reference.
 */
enum tcp_tw_status atcp_timewait_state_process(struct inet_timewait_sock *tw,
					       struct sk_buff *skb)
{
	struct atcp_timewait_sock *atw = atcp_twsk((struct sock *)tw);
	struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);
	const struct tcphdr *th = tcp_hdr(skb);
	struct atcp_net *an = atcp_pernet(twsk_net(tw));
	int timeo = READ_ONCE(an->tw_timeout) * HZ;
	bool paws_reject = false;

	if (cb->has_ts && atw->ts_ok && atw->ts_recent_stamp)
		paws_reject = atcp_paws_reject(atw->ts_recent,
					       atw->ts_recent_stamp, cb->tsval,
					       th->rst);

	if (!paws_reject && cb->seq == atw->rcv_nxt &&
	    (cb->seq == cb->end_seq || th->rst)) {
		/* In window: a bare ACK, or a RST that may end TIME_WAIT. */
		if (th->rst) {
			ATCP_INC_STATS(twsk_net(tw), ATCP_MIB_IN_RSTS);
			if (!READ_ONCE(an->rfc1337)) {
				ATCP_INC_STATS(twsk_net(tw), ATCP_MIB_TW_KILLED_BY_RST);
				inet_twsk_deschedule_put(tw);
				return TCP_TW_SUCCESS;
			}
		} else {
			atcp_twsk_restart(tw, timeo);
		}
		if (cb->has_ts) {
			atw->ts_recent = cb->tsval;
			atw->ts_recent_stamp = ktime_get_seconds();
		}
		inet_twsk_put(tw);
		return TCP_TW_SUCCESS;
	}

	/*
	 * A new SYN may reopen the tuple: above the old connection's
	 * sequence space, or with a newer timestamp (RFC 6191).
	 */
	if (th->syn && !th->rst && !th->ack && !paws_reject &&
	    (after(cb->seq, atw->rcv_nxt) ||
	     (cb->has_ts && atw->ts_ok &&
	      (s32)(atw->ts_recent - cb->tsval) < 0))) {
		u32 isn = atw->snd_nxt + 65535 + 2;

		cb->tw_isn = isn ? : 1;
		return TCP_TW_SYN;
	}

	if (paws_reject)
		ATCP_INC_STATS(twsk_net(tw), ATCP_MIB_PAWS_ESTAB);
	if (!th->rst) {
		/*
		 * A retransmitted FIN (or anything else): ACK it again, at
		 * most once per invalid_ratelimit unless it is data or FIN.
		 * An ACK-less SYN below rcv_nxt may be an old duplicate or
		 * a new connection: it does not restart the timer.
		 */
		if (paws_reject || th->ack)
			atcp_twsk_restart(tw, timeo);
		if ((cb->seq != cb->end_seq && !th->syn) ||
		    !atcp_oow_rate_limited_at(twsk_net(tw),
					      &atw->last_oow_ack_time))
			return TCP_TW_ACK;
	}
	inet_twsk_put(tw);
	return TCP_TW_SUCCESS;
}
