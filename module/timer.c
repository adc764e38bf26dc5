// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: timers.  Retransmission and zero-window probe share the icsk
 * retransmit timer, the delayed ACK has its own, and the keepalive timer serves
 * keepalive and the FIN_WAIT_2 lifetime of orphans (icsk_keepalive_timer).
 *
 * A timer that finds the socket owned by a process sets a bit in
 * ap->deferred, holding a reference, and atcp_release_cb() runs it when
 * the process releases the socket.
 */
#include <linux/module.h>
#include <net/tcp_states.h>

#include "atcp.h"
#include "trace.h"

/**
 * atcp_keepalive_time() - the idle time before the first keepalive probe
 * @ap: the socket
 *
 * Context: any context.
 * Return: TCP_KEEPIDLE if set, else net.atcp.keepalive_time, in jiffies.
 */
u32 atcp_keepalive_time(const struct atcp_sock *ap)
{
	return ap->uopt.keepalive_time ? :
		READ_ONCE(atcp_sk_net((const struct sock *)ap)->keepalive_time) * HZ;
}

/**
 * atcp_keepalive_intvl() - the time between keepalive probes
 * @ap: the socket
 *
 * Context: any context.
 * Return: TCP_KEEPINTVL if set, else net.atcp.keepalive_intvl, in jiffies.
 */
u32 atcp_keepalive_intvl(const struct atcp_sock *ap)
{
	return ap->uopt.keepalive_intvl ? :
		READ_ONCE(atcp_sk_net((const struct sock *)ap)->keepalive_intvl) * HZ;
}

/**
 * atcp_keepalive_probes() - keepalive probes unanswered before the reset
 * @ap: the socket
 *
 * Context: any context.
 * Return: TCP_KEEPCNT if set, else net.atcp.keepalive_probes.
 */
u32 atcp_keepalive_probes(const struct atcp_sock *ap)
{
	return ap->uopt.keepalive_probes ? :
		READ_ONCE(atcp_sk_net((const struct sock *)ap)->keepalive_probes);
}

/**
 * atcp_fin_timeout() - how long an orphan's FIN_WAIT_2 lasts
 * @sk: the socket
 *
 * Context: any context (reads the option and the sysctl once).
 * Return: TCP_LINGER2 if set above 0, else net.atcp.fin_timeout, in jiffies.
 */
u32 atcp_fin_timeout(const struct sock *sk)
{
	int linger2 = atcp_sk(sk)->uopt.linger2;

	if (linger2 > 0)
		return linger2;
	return READ_ONCE(atcp_sk_net(sk)->fin_timeout) * HZ;
}

/* How long after expires (jiffies) it is now, for the atcp_timer event. */
static u32 atcp_timer_late_ms(unsigned long expires)
{
	return time_after_eq(jiffies, expires) ?
	       jiffies_to_msecs(jiffies - expires) : 0;
}

/**
 * atcp_reset_rto() - (re)arm the retransmission timer for one RTO
 * @sk: the socket
 *
 * Context: the socket owned by the caller (lock_sock(), or bh_lock_sock()
 * in softirq and timers); checked under lockdep.
 */
void atcp_reset_rto(struct sock *sk)
{
	sock_owned_by_me(sk);

	inet_csk_reset_xmit_timer(sk, ICSK_TIME_RETRANS, inet_csk(sk)->icsk_rto,
				  ATCP_RTO_MAX);
}

/* Give up: report the error and close. */
static void atcp_write_err(struct sock *sk)
{
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_ABORT_ON_TIMEOUT);
	atcp_done_with_error(sk, READ_ONCE(sk->sk_err_soft) ? : ETIMEDOUT);
}

/*
 * An orphan holds on while orphans or memory run short: let it go, with a
 * RST unless it has long been silent or the peer keeps its window shut,
 * where a RST is pointless (tcp_out_of_resources).  The bound is stricter
 * for an orphan that looks stuck, and stricter again after an ICMP error.
 * Returns true if the socket is gone.
 */
static bool atcp_out_of_resources(struct sock *sk, bool do_reset)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 idle = tcp_jiffies32 - ap->lsndtime;
	int shift = 0;

	if ((s32)idle > 2 * ATCP_RTO_MAX || !do_reset)
		shift++;
	if (READ_ONCE(sk->sk_err_soft))
		shift++;
	if (!atcp_check_oom(sk, shift))
		return false;
	/* A segment sent lately, or a shut window: the peer must know. */
	if ((s32)idle <= TCP_TIMEWAIT_LEN || (!ap->snd_wnd && !atcp_flight(ap)))
		do_reset = true;
	if (do_reset)
		atcp_send_active_reset(sk, GFP_ATOMIC);
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_ABORT_ON_MEMORY);
	atcp_done(sk);
	return true;
}

static unsigned int atcp_retry_limit(const struct sock *sk)
{
	const struct atcp_net *an = atcp_sk_net(sk);
	const struct atcp_sock *ap = atcp_sk(sk);

	if (sk->sk_state == TCP_SYN_SENT)
		return ap->uopt.syn_retries ? : READ_ONCE(an->syn_retries);
	if (sk->sk_state == TCP_SYN_RECV)
		return READ_ONCE(an->synack_retries);
	if (sock_flag(sk, SOCK_DEAD))
		return READ_ONCE(an->orphan_retries);
	return READ_ONCE(an->retries2);
}

/*
 * Retransmitted long enough (tcp_write_timeout): retry_limit times, or,
 * with TCP_USER_TIMEOUT, for that long, which replaces the count once
 * connected.
 */
static bool atcp_retransmits_timed_out(struct sock *sk)
{
	bool syn = (1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV);
	bool count = inet_csk(sk)->icsk_retransmits >= atcp_retry_limit(sk);

	if (READ_ONCE(inet_csk(sk)->icsk_user_timeout))
		return (syn && count) || atcp_user_timeout_expired(sk);
	return count;
}

/* RFC 6298 5.4-5.7: resend the oldest segment, back off, shrink cwnd. */
static void atcp_retransmit_timer(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *head = skb_peek(&sk->sk_write_queue);

	if (!head || head == ap->send_head)
		return;
	trace_atcp_timer(sk, ATCP_TIMER_RETRANS, sk->sk_state,
			 atcp_timer_late_ms(inet_csk(sk)->icsk_timeout));
	if (sock_flag(sk, SOCK_DEAD) &&
	    atcp_out_of_resources(sk, icsk->icsk_rto < ATCP_RTO_MAX ||
				  icsk->icsk_retransmits < atcp_retry_limit(sk)))
		return;
	if (atcp_retransmits_timed_out(sk)) {
		atcp_write_err(sk);
		return;
	}
	ap->rto_fires++;
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_RTO_FIRES);
	if (sk->sk_state == TCP_SYN_SENT)
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_SYN_RETRANS);

	/* Everything out is taken as lost; the window lets the oldest go. */
	atcp_enter_loss(sk);
	atcp_push(sk, ATCP_NAGLE_PUSH);

	icsk->icsk_backoff++;
	icsk->icsk_retransmits++;
	icsk->icsk_rto = min_t(u32, icsk->icsk_rto << 1, ATCP_RTO_MAX);
	inet_csk_reset_xmit_timer(sk, ICSK_TIME_RETRANS,
				  atcp_clamp_rto_to_user_timeout(sk), ATCP_RTO_MAX);
}

/**
 * atcp_rto_revert() - undo one RTO backoff step after an ICMP unreachable
 * @sk: the socket
 * @seq: the sequence number the ICMP quotes
 *
 * An ICMP net or host unreachable quoting the oldest segment while the RTO
 * backs off says the path, not congestion, lost it: undo one backoff step,
 * so the connection resumes soon after the path does (RFC 6069,
 * tcp_ld_RTO_revert).  Nothing is done while a process owns the socket.
 *
 * Context: softirq (ICMP), under bh_lock_sock().
 */
void atcp_rto_revert(struct sock *sk, u32 seq)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *head = skb_peek(&sk->sk_write_queue);
	s32 remaining;

	if (sock_owned_by_user(sk) || seq != ap->snd_una ||
	    !icsk->icsk_retransmits || !icsk->icsk_backoff ||
	    !head || head == ap->send_head)
		return;
	icsk->icsk_backoff--;
	icsk->icsk_rto = min_t(u32, atcp_rto_from_rtt(ap) << icsk->icsk_backoff,
			       ATCP_RTO_MAX);
	remaining = icsk->icsk_rto -
		    usecs_to_jiffies((u32)tcp_clock_us() - ATCP_SKB_CB(head)->sent);
	if (remaining > 0)
		inet_csk_reset_xmit_timer(sk, ICSK_TIME_RETRANS, remaining,
					  ATCP_RTO_MAX);
	else
		atcp_retransmit_timer(sk);
}

/*
 * Data waits with nothing in flight: the peer's window is closed, or the
 * data's first transmission failed locally.  Either way the socket gives
 * up after retries2 unanswered probes (orphan_retries once orphaned), as
 * tcp_probe_timer does; any acceptable ACK resets the count.
 */
static void atcp_probe_timer(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	const struct atcp_net *an = atcp_sk_net(sk);
	int max_probes;

	if (!ap->send_head || atcp_flight(ap)) {
		icsk->icsk_probes_out = 0;
		icsk->icsk_probes_tstamp = 0;
		return;
	}
	trace_atcp_timer(sk, ATCP_TIMER_PROBE, sk->sk_state,
			 atcp_timer_late_ms(inet_csk(sk)->icsk_timeout));
	/* TCP_USER_TIMEOUT ends probing however the peer answers. */
	if (!icsk->icsk_probes_tstamp) {
		icsk->icsk_probes_tstamp = tcp_jiffies32;
	} else if (READ_ONCE(icsk->icsk_user_timeout) &&
		   (s32)(tcp_jiffies32 - icsk->icsk_probes_tstamp) >=
		   (s32)msecs_to_jiffies(READ_ONCE(icsk->icsk_user_timeout))) {
		atcp_write_err(sk);
		return;
	}
	max_probes = sock_flag(sk, SOCK_DEAD) ? READ_ONCE(an->orphan_retries) :
						READ_ONCE(an->retries2);
	if (sock_flag(sk, SOCK_DEAD) && atcp_out_of_resources(sk, true))
		return;
	if (icsk->icsk_probes_out >= max_probes) {
		atcp_write_err(sk);
		return;
	}
	if (atcp_write_wakeup(sk)) {
		/* The data is out: the retransmission timer covers it now. */
		icsk->icsk_probes_out = 0;
		icsk->icsk_backoff = 0;
		icsk->icsk_probes_tstamp = 0;
		return;
	}
	icsk->icsk_probes_out++;
	if (icsk->icsk_backoff < 16)
		icsk->icsk_backoff++;
	inet_csk_reset_xmit_timer(sk, ICSK_TIME_PROBE0, atcp_probe0_when(sk),
				  ATCP_PROBE_MAX);
}

static void atcp_write_timer_handler(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	int event;

	if (((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)) ||
	    !icsk->icsk_pending)
		return;
	if (time_after(icsk->icsk_timeout, jiffies)) {
		sk_reset_timer(sk, &icsk->icsk_retransmit_timer, icsk->icsk_timeout);
		return;
	}
	event = icsk->icsk_pending;
	icsk->icsk_pending = 0;
	switch (event) {
	case ICSK_TIME_RETRANS:
		atcp_retransmit_timer(sk);
		break;
	case ICSK_TIME_PROBE0:
		atcp_probe_timer(sk);
		break;
	case ICSK_TIME_REO_TIMEOUT:
		atcp_rack_reo_timeout(sk);
		break;
	case ICSK_TIME_LOSS_PROBE:
		atcp_send_loss_probe(sk);
		break;
	}
}

static void atcp_write_timer(struct timer_list *t)
{
	struct inet_connection_sock *icsk =
		from_timer(icsk, t, icsk_retransmit_timer);
	struct sock *sk = &icsk->icsk_inet.sk;

	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk))
		atcp_write_timer_handler(sk);
	else if (!test_and_set_bit(ATCP_RETRANS_DEFERRED, &atcp_sk(sk)->deferred))
		sock_hold(sk);
	bh_unlock_sock(sk);
	sock_put(sk);
}

/* The delayed ACK is due (tcp_delack_timer_handler). */
static void atcp_delack_timer_handler(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);

	if (((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)) ||
	    !(icsk->icsk_ack.pending & ICSK_ACK_TIMER))
		return;
	if (time_after(icsk->icsk_ack.timeout, jiffies)) {
		sk_reset_timer(sk, &icsk->icsk_delack_timer, icsk->icsk_ack.timeout);
		return;
	}
	icsk->icsk_ack.pending &= ~ICSK_ACK_TIMER;
	if (!inet_csk_ack_scheduled(sk))
		return;

	trace_atcp_timer(sk, ATCP_TIMER_DELACK, sk->sk_state,
			 atcp_timer_late_ms(icsk->icsk_ack.timeout));
	if (!inet_csk_in_pingpong_mode(sk)) {
		/* The ACK missed its chance: wait longer next time. */
		icsk->icsk_ack.ato = min(icsk->icsk_ack.ato << 1, icsk->icsk_rto);
	} else {
		/* The reply we waited for did not come: not interactive. */
		inet_csk_exit_pingpong_mode(sk);
		icsk->icsk_ack.ato = msecs_to_jiffies(READ_ONCE(atcp_sk_net(sk)->delack_min));
	}
	ap->delayed_acks++;
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_DELAYED_ACKS);
	trace_atcp_ack(sk, ap->rcv_nxt, ATCP_ACK_TIMER, 0);
	atcp_send_ack(sk);
}

static void atcp_delack_timer(struct timer_list *t)
{
	struct inet_connection_sock *icsk =
		from_timer(icsk, t, icsk_delack_timer);
	struct sock *sk = &icsk->icsk_inet.sk;

	bh_lock_sock(sk);
	if (!sock_owned_by_user(sk)) {
		atcp_delack_timer_handler(sk);
	} else {
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_DELAYED_ACK_LOCKED);
		if (!test_and_set_bit(ATCP_DELACK_DEFERRED, &atcp_sk(sk)->deferred))
			sock_hold(sk);
	}
	bh_unlock_sock(sk);
	sock_put(sk);
}

/* Keepalive, and the end of an orphan's FIN_WAIT_2. */
static void atcp_keepalive_timer(struct timer_list *t)
{
	struct inet_connection_sock *icsk =
		from_timer(icsk, t, icsk_keepalive_timer);
	struct sock *sk = &icsk->icsk_inet.sk;
	struct atcp_sock *ap = atcp_sk(sk);
	u32 elapsed;

	bh_lock_sock(sk);
	if (sock_owned_by_user(sk)) {
		inet_csk_reset_keepalive_timer(sk, HZ / 20);
		goto out;
	}
	if (sk->sk_state == TCP_LISTEN)
		goto out;

	if (sk->sk_state == TCP_FIN_WAIT2 && sock_flag(sk, SOCK_DEAD)) {
		/* Released silently, as Linux releases its FIN_WAIT_2 orphans. */
		trace_atcp_timer(sk, ATCP_TIMER_FIN_WAIT2, sk->sk_state,
				 atcp_timer_late_ms(icsk->icsk_keepalive_timer.expires));
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_FIN_WAIT2_TIMEOUTS);
		atcp_done(sk);
		goto out;
	}

	if (!sock_flag(sk, SOCK_KEEPOPEN) ||
	    ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_SYN_SENT)))
		goto out;

	elapsed = atcp_keepalive_time(ap);
	if (atcp_flight(ap) || ap->send_head)
		goto resched;

	elapsed = tcp_jiffies32 - ap->rcv_tstamp;
	if (elapsed >= atcp_keepalive_time(ap)) {
		u32 user_timeout = READ_ONCE(icsk->icsk_user_timeout);

		trace_atcp_timer(sk, ATCP_TIMER_KEEPALIVE, sk->sk_state,
				 atcp_timer_late_ms(icsk->icsk_keepalive_timer.expires));
		/* TCP_USER_TIMEOUT, if set, decides instead of the count. */
		if ((user_timeout && elapsed >= msecs_to_jiffies(user_timeout) &&
		     icsk->icsk_probes_out > 0) ||
		    (!user_timeout &&
		     icsk->icsk_probes_out >= atcp_keepalive_probes(ap))) {
			ATCP_INC_STATS(sock_net(sk), ATCP_MIB_KEEPALIVE_TIMEOUTS);
			atcp_write_err(sk);
			goto out;
		}
		if (!atcp_send_probe(sk, false)) {
			icsk->icsk_probes_out++;
			elapsed = atcp_keepalive_intvl(ap);
		} else {
			elapsed = ATCP_KEEPALIVE_PROBE_MIN;
		}
	} else {
		elapsed = atcp_keepalive_time(ap) - elapsed;
	}
resched:
	inet_csk_reset_keepalive_timer(sk, elapsed);
out:
	bh_unlock_sock(sk);
	sock_put(sk);
}

/**
 * atcp_reset_keepalive() - rearm the keepalive timer for a full idle time
 * @sk: the socket
 *
 * Only with SO_KEEPALIVE, and not in CLOSE or LISTEN.
 *
 * Context: the socket owned by the caller (setsockopt(), or the receive
 * path when the connection opens).
 */
void atcp_reset_keepalive(struct sock *sk)
{
	if (sock_flag(sk, SOCK_KEEPOPEN) &&
	    !((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
		inet_csk_reset_keepalive_timer(sk, atcp_keepalive_time(atcp_sk(sk)));
}

/**
 * atcp_set_keepalive() - SO_KEEPALIVE turned on or off (proto->keepalive)
 * @sk: the socket
 * @val: nonzero to turn keepalives on
 *
 * Context: process context, setsockopt() with the socket owned (lock_sock()).
 */
void atcp_set_keepalive(struct sock *sk, int val)
{
	if ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN))
		return;
	if (val && !sock_flag(sk, SOCK_KEEPOPEN))
		inet_csk_reset_keepalive_timer(sk, atcp_keepalive_time(atcp_sk(sk)));
	else if (!val)
		inet_csk_delete_keepalive_timer(sk);
}

/**
 * atcp_init_xmit_timers() - set up a socket's retransmit, delayed-ACK and
 *	keepalive timers
 * @sk: a new socket, or a new child from atcp_v4_syn_recv_sock()
 *
 * Context: the socket not yet reachable by anyone else (its init, or the
 * child's creation in softirq).
 */
void atcp_init_xmit_timers(struct sock *sk)
{
	inet_csk_init_xmit_timers(sk, atcp_write_timer, atcp_delack_timer,
				  atcp_keepalive_timer);
}

/**
 * atcp_release_cb() - run the timer and ICMP work deferred while a process
 *	owned the socket
 * @sk: the socket
 *
 * Context: release_sock() (proto->release_cb), the socket owned and its
 * spinlock held; checked under lockdep.
 */
void atcp_release_cb(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);

	sock_owned_by_me(sk);

	if (test_and_clear_bit(ATCP_RETRANS_DEFERRED, &ap->deferred)) {
		atcp_write_timer_handler(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(ATCP_DELACK_DEFERRED, &ap->deferred)) {
		atcp_delack_timer_handler(sk);
		__sock_put(sk);
	}
	if (test_and_clear_bit(ATCP_MTU_REDUCED_DEFERRED, &ap->deferred)) {
		atcp_v4_mtu_reduced(sk);
		__sock_put(sk);
	}
}
