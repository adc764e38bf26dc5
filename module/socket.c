// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: the socket calls.  Everything here runs in process context with
 * the socket lock held (lock_sock), except poll, which reads lockless.
 */
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/sockios.h>
#include <asm/ioctls.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/inet_common.h>
#include <net/tcp_states.h>

#include "atcp.h"
#include "trace.h"

/**
 * atcp_init_transfer() - the connection is established
 * @sk: the socket
 *
 * Timers, windows and the congestion control that need the peer's numbers.
 *
 * Context: the socket owned by the caller (the receive path).
 */
void atcp_init_transfer(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);

	ap->rcv_tstamp = tcp_jiffies32;
	/* ATO stays 0 until the first data: that arrival starts quick-ack mode. */
	icsk->icsk_ack.lrcvtime = tcp_jiffies32;
	if (!ap->srtt_us)
		icsk->icsk_rto = ATCP_TIMEOUT_INIT;
	atcp_cong_init(sk);
	atcp_init_buffer_space(sk);
	atcp_reset_keepalive(sk);
}

static int atcp_listen(struct socket *sock, int backlog)
{
	struct sock *sk = sock->sk;
	int err = -EINVAL;

	lock_sock(sk);
	if (sock->state != SS_UNCONNECTED || sock->type != SOCK_STREAM)
		goto out;
	if (!((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
		goto out;
	WRITE_ONCE(sk->sk_max_ack_backlog, backlog);
	if (sk->sk_state != TCP_LISTEN) {
		atcp_synq_init(sk);
		err = inet_csk_listen_start(sk);
		if (err)
			goto out;
	}
	err = 0;
out:
	release_sock(sk);
	return err;
}

static bool atcp_need_reset(int state)
{
	return (1 << state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |
			       TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 | TCPF_SYN_RECV);
}

/**
 * atcp_disconnect() - abort: back to CLOSE, ready for another connect()
 * @sk: the socket
 * @flags: the caller's O_NONBLOCK or 0 (unused)
 *
 * A RST if the peer may still think the connection open; queues, timers
 * and the connection's state cleared (tcp_disconnect).
 *
 * Context: the socket owned: lock_sock() (connect(AF_UNSPEC), close()),
 * or bh_lock_sock() for a child a closing listener forgets.
 * Return: 0.
 */
int atcp_disconnect(struct sock *sk, int flags)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct inet_sock *inet = inet_sk(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	int old_state = sk->sk_state;

	if (old_state != TCP_CLOSE)
		atcp_set_state(sk, TCP_CLOSE);

	if (old_state == TCP_LISTEN) {
		inet_csk_listen_stop(sk);
	} else if (atcp_need_reset(old_state) ||
		   (ap->snd_nxt != ap->write_seq &&
		    (1 << old_state) & (TCPF_CLOSING | TCPF_LAST_ACK))) {
		atcp_send_active_reset(sk, gfp_any());
		WRITE_ONCE(sk->sk_err, ECONNRESET);
	} else if (old_state == TCP_SYN_SENT) {
		WRITE_ONCE(sk->sk_err, ECONNRESET);
	}

	inet_csk_clear_xmit_timers(sk);
	atcp_purge_queues(sk);
	/* The source address goes, and with it the bind2 bucket it was in. */
	inet_bhash2_reset_saddr(sk);
	inet->inet_dport = 0;
	WRITE_ONCE(sk->sk_shutdown, 0);
	sock_reset_flag(sk, SOCK_DONE);
	/* The algorithm stays; its state starts over with the next connection. */
	if (ap->ca_ops->release)
		ap->ca_ops->release(sk);
	atcp_clear_connection(ap);
	ap->window_clamp = 0;
	icsk->icsk_backoff = 0;
	icsk->icsk_probes_out = 0;
	icsk->icsk_probes_tstamp = 0;
	icsk->icsk_retransmits = 0;
	icsk->icsk_rto = ATCP_TIMEOUT_INIT;
	memset(&icsk->icsk_ack, 0, sizeof(icsk->icsk_ack));
	__sk_dst_reset(sk);
	sk->sk_route_caps = 0;
	sk_error_report(sk);
	return 0;
}

/* Where close() or shutdown(SHUT_WR) leads, and whether a FIN goes out. */
static const unsigned char atcp_close_states[] = {
#define ATCP_ACTION_FIN	BIT(7)
#define ATCP_STATE_MASK	0xF
	[0]			= TCP_CLOSE,
	[TCP_ESTABLISHED]	= TCP_FIN_WAIT1 | ATCP_ACTION_FIN,
	[TCP_SYN_SENT]		= TCP_CLOSE,
	[TCP_SYN_RECV]		= TCP_FIN_WAIT1 | ATCP_ACTION_FIN,
	[TCP_FIN_WAIT1]		= TCP_FIN_WAIT1,
	[TCP_FIN_WAIT2]		= TCP_FIN_WAIT2,
	[TCP_TIME_WAIT]		= TCP_CLOSE,
	[TCP_CLOSE]		= TCP_CLOSE,
	[TCP_CLOSE_WAIT]	= TCP_LAST_ACK | ATCP_ACTION_FIN,
	[TCP_LAST_ACK]		= TCP_LAST_ACK,
	[TCP_LISTEN]		= TCP_CLOSE,
	[TCP_CLOSING]		= TCP_CLOSING,
	[TCP_NEW_SYN_RECV]	= TCP_CLOSE,
};

static bool atcp_close_state(struct sock *sk)
{
	int next = atcp_close_states[sk->sk_state];

	atcp_set_state(sk, next & ATCP_STATE_MASK);
	return next & ATCP_ACTION_FIN;
}

/**
 * atcp_shutdown() - shutdown() (proto->shutdown): SHUT_WR sends our FIN
 * @sk: the socket
 * @how: SEND_SHUTDOWN and/or RCV_SHUTDOWN
 *
 * Context: process context, the socket owned (inet_shutdown()).
 */
void atcp_shutdown(struct sock *sk, int how)
{
	if (!(how & SEND_SHUTDOWN))
		return;
	if ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_SYN_SENT |
				   TCPF_SYN_RECV | TCPF_CLOSE_WAIT)) {
		if (atcp_close_state(sk))
			atcp_send_fin(sk);
	}
}

/**
 * atcp_close() - close() of the socket (proto->close)
 * @sk: the socket
 * @timeout: SO_LINGER's time to wait for the FIN's acknowledgment
 *
 * Unread data or SO_LINGER 0 abort with a RST; otherwise the FIN is queued
 * and the socket is orphaned, to live on in FIN_WAIT_1, FIN_WAIT_2 or
 * LAST_ACK as the peer answers (tcp_close).
 *
 * Context: process context; takes lock_sock() itself, then bh_lock_sock()
 * for the orphan's last steps.
 */
void atcp_close(struct sock *sk, long timeout)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 data_was_unread = 0;
	struct sk_buff *skb;
	int state;

	lock_sock(sk);
	WRITE_ONCE(sk->sk_shutdown, SHUTDOWN_MASK);

	if (sk->sk_state == TCP_LISTEN) {
		atcp_set_state(sk, TCP_CLOSE);
		inet_csk_listen_stop(sk);
		goto adjudge_to_death;
	}

	/* Unread data is lost data: the peer must learn it (RFC 9293 3.10.4). */
	while ((skb = __skb_dequeue(&sk->sk_receive_queue)) != NULL) {
		u32 end = ATCP_SKB_CB(skb)->seq + skb->len;

		if (after(end, ap->copied_seq))
			data_was_unread += end - max(ATCP_SKB_CB(skb)->seq,
						     ap->copied_seq);
		__kfree_skb(skb);
	}

	if (sk->sk_state == TCP_CLOSE)
		goto adjudge_to_death;

	if (data_was_unread) {
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_ABORT_ON_CLOSE);
		atcp_set_state(sk, TCP_CLOSE);
		atcp_send_active_reset(sk, sk->sk_allocation);
	} else if (sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime) {
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_ABORT_ON_LINGER);
		sk->sk_prot->disconnect(sk, 0);
	} else if (atcp_close_state(sk)) {
		atcp_send_fin(sk);
	}

	sk_stream_wait_close(sk, timeout);

adjudge_to_death:
	state = sk->sk_state;
	sock_hold(sk);
	sock_orphan(sk);
	/* The last release_sock of its life: it takes in the backlog. */
	release_sock(sk);

	local_bh_disable();
	bh_lock_sock(sk);
	this_cpu_inc(*sk->sk_prot->orphan_count);

	/* Already destroyed by a segment from the backlog? */
	if (state != TCP_CLOSE && sk->sk_state == TCP_CLOSE)
		goto out;

	if (sk->sk_state == TCP_FIN_WAIT2) {
		if (ap->uopt.linger2 < 0) {
			atcp_set_state(sk, TCP_CLOSE);
			atcp_send_active_reset(sk, GFP_ATOMIC);
		} else {
			atcp_fin_wait2_arm(sk);
		}
	}
	/* Too many orphans already, or too little memory: go now. */
	if (sk->sk_state != TCP_CLOSE && atcp_check_oom(sk, 0)) {
		atcp_set_state(sk, TCP_CLOSE);
		atcp_send_active_reset(sk, GFP_ATOMIC);
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_ABORT_ON_MEMORY);
	}
	if (sk->sk_state == TCP_CLOSE)
		inet_csk_destroy_sock(sk);
out:
	bh_unlock_sock(sk);
	local_bh_enable();
	sock_put(sk);
}

/* Mark the end of what the application pushed (tcp_mark_push). */
static void atcp_mark_push(struct atcp_sock *ap, struct sk_buff *skb)
{
	ATCP_SKB_CB(skb)->tcp_flags |= TCPHDR_PSH;
	ap->pushed_seq = ap->write_seq;
}

/*
 * More than half the peer's largest window written since the last PSH:
 * push now, whatever else is promised (forced_push).
 */
static bool atcp_forced_push(const struct atcp_sock *ap)
{
	return after(ap->write_seq, ap->pushed_seq + (ap->max_window >> 1));
}

/*
 * How much data an skb of the write queue takes (tcp_xmit_size_goal): as
 * much as TCP puts in one GSO packet, a multiple of the MSS up to 64 KiB
 * and half the peer's largest window.
 * PSH goes on the last segment of such an skb when a write fills it, so
 * that these bounds are where TCP's forced pushes fall.
 */
static u32 atcp_size_goal(const struct sock *sk, u32 mss, int flags)
{
	u32 goal = atcp_bound_to_half_wnd(atcp_sk(sk), ATCP_GSO_MAX_SIZE);

	/* Urgent data goes in segments of its own size (tcp_send_mss). */
	if (flags & MSG_OOB)
		return mss;

	/*
	 * Under memory pressure, a segment: past the hard limit the core
	 * still lets a stream socket at its send buffer fill the skb it has
	 * (__sk_mem_raise_allocated()), and 64 KiB from every writer would
	 * carry atcp's memory far past net.atcp.mem.
	 */
	if (sk_under_memory_pressure(sk))
		return mss;
	return max(goal / mss * mss, mss);
}

/* Data may join the tail skb: not sent, no SYN or FIN, no MSG_EOR's end. */
static bool atcp_can_append(const struct atcp_sock *ap,
			    const struct sk_buff *skb)
{
	return skb && ap->send_head &&
	       !(ATCP_SKB_CB(skb)->tcp_flags & (TCPHDR_SYN | TCPHDR_FIN)) &&
	       !ATCP_SKB_CB(skb)->eor;
}

/*
 * The end of a write, or a wait for memory in the middle of one
 * (tcp_push): PSH on the last skb unless MSG_MORE promises more (or too
 * much went without one), then send.  MSG_MORE holds a part-filled
 * segment as TCP_CORK does.  MSG_OOB makes the write's last byte urgent
 * (tcp_mark_urg): the urgent pointer goes past it, and segments that
 * start before it carry URG until the peer acknowledges it.
 */
static void atcp_push_write(struct sock *sk, int flags, int nonagle)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);

	if (!skb)
		return;
	if (flags & MSG_OOB) {
		ap->snd_up = ap->write_seq;
		ap->urg_mode = 1;
	}
	if (!ap->send_head)
		return;
	if (!(flags & MSG_MORE) || atcp_forced_push(ap))
		atcp_mark_push(ap, skb);
	if (flags & MSG_MORE)
		nonagle = ATCP_NAGLE_CORK;
	atcp_push(sk, nonagle);
}

/* A write that failed before any data went in leaves no empty skb. */
static void atcp_remove_empty_skb(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);

	if (skb && ap->send_head &&
	    ATCP_SKB_CB(skb)->seq == ATCP_SKB_CB(skb)->end_seq) {
		if (skb == ap->send_head)
			ap->send_head = NULL;
		__skb_unlink(skb, &sk->sk_write_queue);
		atcp_wmem_free_skb(sk, skb);
	}
}

/**
 * atcp_sendmsg() - a write (proto->sendmsg)
 * @sk: the socket
 * @msg: the data
 * @size: its length
 *
 * As tcp_sendmsg_locked: the data goes into skbs of the size goal; each
 * one filled is sent at once, with PSH if too much went without one; the
 * last gets PSH unless MSG_MORE, and the socket's Nagle and cork say
 * whether a part-filled one waits.
 *
 * Context: process context; takes lock_sock() itself.
 * Return: the bytes taken, or, if none was, a negative errno
 * (sk_stream_error()).
 */
int atcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size)
{
	struct atcp_sock *ap = atcp_sk(sk);
	int flags = msg->msg_flags;
	int copied = 0, err;
	u32 mss, size_goal;
	long timeo;

	lock_sock(sk);
	timeo = sock_sndtimeo(sk, flags & MSG_DONTWAIT);
	if ((1 << sk->sk_state) & ~(TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)) {
		err = sk_stream_wait_connect(sk, &timeo);
		if (err)
			goto do_error;
	}
	sk_clear_bit(SOCKWQ_ASYNC_NOSPACE, sk);

	mss = atcp_current_mss(sk);
	size_goal = atcp_size_goal(sk, mss, flags);

	err = -EPIPE;
	if (sk->sk_err || (sk->sk_shutdown & SEND_SHUTDOWN))
		goto do_error;

	while (msg_data_left(msg)) {
		struct sk_buff *skb = skb_peek_tail(&sk->sk_write_queue);
		struct page_frag *pfrag;
		int copy = 0;
		bool merge = true;
		int i;

		if (atcp_can_append(ap, skb))
			copy = size_goal - skb->len;

		if (copy <= 0) {
new_segment:
			if (!sk_stream_memory_free(sk))
				goto wait_for_space;
			/* The first skb goes whatever the memory pool says. */
			skb = atcp_stream_alloc_skb(sk, sk->sk_allocation,
						    skb_queue_empty(&sk->sk_write_queue));
			if (!skb)
				goto wait_for_space;
			ATCP_SKB_CB(skb)->seq = ap->write_seq;
			ATCP_SKB_CB(skb)->end_seq = ap->write_seq;
			ATCP_SKB_CB(skb)->tcp_flags = TCPHDR_ACK;
			atcp_entail(sk, skb);
			/* A push asked by TCP_NODELAY or an uncork is done. */
			ap->uopt.nonagle &= ~ATCP_NAGLE_PUSH;
			copy = size_goal;
		}
		copy = min_t(int, copy, msg_data_left(msg));

		pfrag = sk_page_frag(sk);
		if (!sk_page_frag_refill(sk, pfrag))
			goto wait_for_space;
		i = skb_shinfo(skb)->nr_frags;
		if (!skb_can_coalesce(skb, i, pfrag->page, pfrag->offset)) {
			if (i >= MAX_SKB_FRAGS) {
				atcp_mark_push(ap, skb);
				goto new_segment;
			}
			merge = false;
		}
		copy = min_t(int, copy, pfrag->size - pfrag->offset);
		copy = atcp_wmem_schedule(sk, copy);
		if (!copy)
			goto wait_for_space;
		err = skb_copy_to_page_nocache(sk, &msg->msg_iter, skb,
					       pfrag->page, pfrag->offset, copy);
		if (err)
			goto do_error;
		if (merge) {
			skb_frag_size_add(&skb_shinfo(skb)->frags[i - 1], copy);
		} else {
			skb_fill_page_desc(skb, i, pfrag->page, pfrag->offset, copy);
			page_ref_inc(pfrag->page);
		}
		pfrag->offset += copy;

		/* PSH moves to the end of this write. */
		if (!copied)
			ATCP_SKB_CB(skb)->tcp_flags &= ~TCPHDR_PSH;
		ap->write_seq += copy;
		ATCP_SKB_CB(skb)->end_seq += copy;
		copied += copy;

		if (!msg_data_left(msg)) {
			if (unlikely(flags & MSG_EOR))
				ATCP_SKB_CB(skb)->eor = 1;
			goto out;
		}
		if (skb->len < size_goal || (flags & MSG_OOB))
			continue;
		if (atcp_forced_push(ap)) {
			atcp_mark_push(ap, skb);
			atcp_push(sk, ATCP_NAGLE_PUSH);
		} else if (skb == ap->send_head) {
			atcp_push(sk, ATCP_NAGLE_PUSH);
		}
		continue;

wait_for_space:
		set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		if (copied)
			atcp_push_write(sk, flags & ~MSG_MORE, ATCP_NAGLE_PUSH);
		err = sk_stream_wait_memory(sk, &timeo);
		if (err)
			goto do_error;
		mss = atcp_current_mss(sk);
		size_goal = atcp_size_goal(sk, mss, flags);
	}

out:
	if (copied)
		atcp_push_write(sk, flags, ap->uopt.nonagle);
	release_sock(sk);
	return copied;

do_error:
	atcp_remove_empty_skb(sk);
	if (copied)
		goto out;
	err = sk_stream_error(sk, flags, err);
	/* An edge-triggered epoll waiter must hear of it. */
	if (unlikely(skb_queue_empty(&sk->sk_write_queue) && err == -EAGAIN))
		sk->sk_write_space(sk);
	release_sock(sk);
	return err;
}

/*
 * After the application read: send the ACK that was held for it, or a
 * window update when the read opened the window a lot (tcp_cleanup_rbuf).
 */
static void __atcp_cleanup_rbuf(struct sock *sk, int copied, int reason)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	bool time_to_ack = false;

	if (inet_csk_ack_scheduled(sk)) {
		if (ap->rcv_nxt - ap->rcv_wup > icsk->icsk_ack.rcv_mss ||
		    (copied > 0 &&
		     ((icsk->icsk_ack.pending & ICSK_ACK_PUSHED2) ||
		      ((icsk->icsk_ack.pending & ICSK_ACK_PUSHED) &&
		       !inet_csk_in_pingpong_mode(sk))) &&
		     !atomic_read(&sk->sk_rmem_alloc)))
			time_to_ack = true;
	}
	if (copied > 0 && !time_to_ack && !(sk->sk_shutdown & RCV_SHUTDOWN)) {
		s32 now = ap->rcv_wup + ap->rcv_wnd - ap->rcv_nxt;

		if (now < 0)
			now = 0;
		/* Advertise a window that grew at least twice over at once. */
		if (2 * (u32)now <= ap->window_clamp) {
			u32 new_win = atcp_free_window(sk);

			if (new_win && new_win >= 2 * (u32)now) {
				time_to_ack = true;
				reason = ATCP_ACK_WINDOW_UPDATE;
			}
		}
	}
	if (time_to_ack && sk->sk_state != TCP_CLOSE) {
		trace_atcp_ack(sk, ap->rcv_nxt, reason, 0);
		atcp_send_ack(sk);
	}
}

void atcp_cleanup_rbuf(struct sock *sk, int copied)
{
	__atcp_cleanup_rbuf(sk, copied, ATCP_ACK_AFTER_READ);
}

/* Bytes left to read after a read, 1 for a FIN still unread (tcp_inq_hint). */
static int atcp_inq_hint(struct sock *sk)
{
	const struct atcp_sock *ap = atcp_sk(sk);
	u32 copied_seq = READ_ONCE(ap->copied_seq);
	int inq = READ_ONCE(ap->rcv_nxt) - copied_seq;

	if (unlikely(inq < 0 || copied_seq != READ_ONCE(ap->copied_seq))) {
		lock_sock(sk);
		inq = ap->rcv_nxt - ap->copied_seq;
		release_sock(sk);
	}
	if (inq == 0 && sock_flag(sk, SOCK_DONE))
		inq = 1;
	return inq;
}

/*
 * recv(MSG_OOB) (tcp_recv_urg): the urgent byte held apart, at once or
 * never: EINVAL with none coming (or SO_OOBINLINE, or taken already),
 * EAGAIN while it is on its way, whatever the socket's blocking, 0 once
 * the stream ended before it.  MSG_PEEK leaves it there.
 */
static int atcp_recv_urg(struct sock *sk, struct msghdr *msg, int len,
			 int flags)
{
	struct atcp_sock *ap = atcp_sk(sk);

	if (sock_flag(sk, SOCK_URGINLINE) || !ap->urg_data ||
	    ap->urg_data == TCP_URG_READ)
		return -EINVAL;
	if (sk->sk_state == TCP_CLOSE && !sock_flag(sk, SOCK_DONE))
		return -ENOTCONN;
	if (ap->urg_data & TCP_URG_VALID) {
		char c = ap->urg_data;

		if (!(flags & MSG_PEEK))
			WRITE_ONCE(ap->urg_data, TCP_URG_READ);
		msg->msg_flags |= MSG_OOB;
		if (len <= 0) {
			msg->msg_flags |= MSG_TRUNC;
			return len;
		}
		if (!(flags & MSG_TRUNC) && memcpy_to_msg(msg, &c, 1))
			return -EFAULT;
		return 1;
	}
	if (sk->sk_state == TCP_CLOSE || (sk->sk_shutdown & RCV_SHUTDOWN))
		return 0;
	return -EAGAIN;
}

/*
 * A read, with the socket owned.  It stops at the urgent mark, before the
 * urgent byte if it read anything; at the mark, the byte is skipped unless
 * SO_OOBINLINE leaves it in the stream (tcp_recvmsg_locked).
 */
static int atcp_recvmsg_locked(struct sock *sk, struct msghdr *msg, size_t len,
			       int flags)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 peek_seq, *seq;
	u32 urg_hole = 0;
	int peek_offset = 0;
	int copied = 0;
	long timeo;
	int target;
	int err;

	err = -ENOTCONN;
	if (sk->sk_state == TCP_LISTEN)
		goto out;
	if (flags & MSG_OOB)
		return atcp_recv_urg(sk, msg, len, flags);

	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	seq = &ap->copied_seq;
	if (flags & MSG_PEEK) {
		/* SO_PEEK_OFF: -1 (none) unless the kernel's TCP takes it. */
		peek_offset = max(sk_peek_offset(sk, flags), 0);
		peek_seq = ap->copied_seq + peek_offset;
		seq = &peek_seq;
	}
	target = sock_rcvlowat(sk, flags & MSG_WAITALL, len);

	do {
		struct sk_buff *skb, *last;
		u32 offset, used;

		/* At the mark: stop after data, or for a SIGURG pending. */
		if (unlikely(ap->urg_data) && ap->urg_seq == *seq) {
			if (copied)
				break;
			if (signal_pending(current)) {
				copied = timeo ? sock_intr_errno(timeo) : -EAGAIN;
				break;
			}
		}

		last = skb_peek_tail(&sk->sk_receive_queue);
		skb_queue_walk(&sk->sk_receive_queue, skb) {
			last = skb;
			offset = *seq - ATCP_SKB_CB(skb)->seq;
			if (offset < skb->len)
				goto found_ok_skb;
		}

		if (copied >= target && !READ_ONCE(sk->sk_backlog.tail))
			break;
		if (copied) {
			if (sk->sk_err || sk->sk_state == TCP_CLOSE ||
			    (sk->sk_shutdown & RCV_SHUTDOWN) || !timeo ||
			    signal_pending(current))
				break;
		} else {
			if (sock_flag(sk, SOCK_DONE))
				break;
			if (sk->sk_err) {
				copied = sock_error(sk);
				break;
			}
			if (sk->sk_shutdown & RCV_SHUTDOWN)
				break;
			if (sk->sk_state == TCP_CLOSE) {
				copied = -ENOTCONN;
				break;
			}
			if (!timeo) {
				copied = -EAGAIN;
				break;
			}
			if (signal_pending(current)) {
				copied = sock_intr_errno(timeo);
				break;
			}
		}

		atcp_cleanup_rbuf(sk, copied);
		if (copied >= target) {
			/* Do not sleep: just take in the backlog. */
			release_sock(sk);
			lock_sock(sk);
		} else {
			sk_wait_data(sk, &timeo, last);
		}
		/* Another reader took data meanwhile: peek from what is left. */
		if ((flags & MSG_PEEK) &&
		    peek_seq - peek_offset - copied - urg_hole != ap->copied_seq)
			peek_seq = ap->copied_seq + peek_offset;
		continue;

found_ok_skb:
		used = min_t(u32, skb->len - offset, len);
		if (unlikely(ap->urg_data)) {
			u32 urg_offset = ap->urg_seq - *seq;

			if (urg_offset < used) {
				if (urg_offset) {
					used = urg_offset;
				} else if (!sock_flag(sk, SOCK_URGINLINE)) {
					/* The urgent byte is no data. */
					WRITE_ONCE(*seq, *seq + 1);
					urg_hole++;
					offset++;
					used--;
					if (!used)
						goto skip_copy;
				}
			}
		}
		if (skb_copy_datagram_msg(skb, offset, msg, used)) {
			if (!copied)
				copied = -EFAULT;
			break;
		}
		WRITE_ONCE(*seq, *seq + used);
		copied += used;
		len -= used;
		if (flags & MSG_PEEK) {
			sk_peek_offset_fwd(sk, used);
		} else {
			sk_peek_offset_bwd(sk, used);
			atcp_rcv_space_adjust(sk);
		}
skip_copy:
		if (unlikely(ap->urg_data) && after(ap->copied_seq, ap->urg_seq))
			WRITE_ONCE(ap->urg_data, 0);
		if (used + offset < skb->len)
			continue;
		if (!(flags & MSG_PEEK)) {
			__skb_unlink(skb, &sk->sk_receive_queue);
			consume_skb(skb);
		}
	} while (len > 0);

	atcp_cleanup_rbuf(sk, copied);
	return copied;

out:
	return err;
}

/**
 * atcp_recvmsg() - a read (proto->recvmsg)
 * @sk: the socket
 * @msg: where the data goes
 * @len: how much at most
 * @flags: MSG_* flags
 * @addr_len: for MSG_ERRQUEUE (inet_recv_error())
 *
 * Context: process context; takes lock_sock() itself.
 * Return: the bytes read, 0 at the end of the stream, or a negative errno.
 */
int atcp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags,
		 int *addr_len)
{
	bool want_inq;
	int ret;

	if (flags & MSG_ERRQUEUE)
		return inet_recv_error(sk, msg, len, addr_len);

	lock_sock(sk);
	/* TCP_INQ, or io_uring's ask: what is left to read, after the read. */
	want_inq = sk->sk_state != TCP_LISTEN && atcp_sk(sk)->uopt.recvmsg_inq;
	ret = atcp_recvmsg_locked(sk, msg, len, flags);
	release_sock(sk);

	if (ret >= 0 && (want_inq || msg->msg_get_inq)) {
		msg->msg_inq = atcp_inq_hint(sk);
		if (want_inq)
			put_cmsg(msg, SOL_TCP, TCP_CM_INQ, sizeof(msg->msg_inq),
				 &msg->msg_inq);
	}
	return ret;
}

/**
 * atcp_ioctl() - SIOCINQ, SIOCOUTQ, SIOCOUTQNSD
 * @sk: the socket
 * @cmd: the ioctl
 * @answ: where its value goes
 *
 * Return: 0, -EINVAL on a listener, -ENOIOCTLCMD for another ioctl.
 * Context: process; takes the socket lock where the value needs it.
 */
int atcp_ioctl(struct sock *sk, int cmd, int *answ)
{
	struct atcp_sock *ap = atcp_sk(sk);

	switch (cmd) {
	case SIOCINQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		lock_sock(sk);
		*answ = ap->rcv_nxt - ap->copied_seq;
		if (sock_flag(sk, SOCK_DONE) && *answ)
			(*answ)--;
		release_sock(sk);
		break;
	case SIOCOUTQ:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		*answ = READ_ONCE(ap->write_seq) - READ_ONCE(ap->snd_una);
		if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
			*answ = 0;
		break;
	case SIOCATMARK:
		*answ = READ_ONCE(ap->urg_data) &&
			READ_ONCE(ap->urg_seq) == READ_ONCE(ap->copied_seq);
		break;
	case SIOCOUTQNSD:
		if (sk->sk_state == TCP_LISTEN)
			return -EINVAL;
		*answ = READ_ONCE(ap->write_seq) - READ_ONCE(ap->snd_nxt);
		if ((1 << sk->sk_state) & (TCPF_SYN_SENT | TCPF_SYN_RECV))
			*answ = 0;
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return 0;
}

/**
 * atcp_stream_memory_free() - may a write queue more (proto->stream_memory_free)
 * @sk: the socket
 * @wake: 1 to ask for twice the margin, as poll and a wakeup do
 *
 * Below TCP_NOTSENT_LOWAT, or net.atcp.notsent_lowat without it, of data
 * not yet sent (tcp_stream_memory_free); the send buffer is the core's.
 * Context: any; reads lockless.
 * Return: true if it may.
 */
bool atcp_stream_memory_free(const struct sock *sk, int wake)
{
	const struct atcp_sock *ap = atcp_sk(sk);
	u32 notsent = READ_ONCE(ap->write_seq) - READ_ONCE(ap->snd_nxt);
	u32 lowat = READ_ONCE(ap->uopt.notsent_lowat) ? :
		    READ_ONCE(atcp_sk_net(sk)->notsent_lowat);

	return (notsent << wake) < lowat;
}

static bool atcp_level_ok(int level)
{
	return level == SOL_TCP || level == atcp_proto_num;
}

/* TCP_QUICKACK as Linux does it: ACK what is pending now, not sticky. */
static void atcp_set_quickack(struct sock *sk, int val)
{
	struct inet_connection_sock *icsk = inet_csk(sk);

	if (!val) {
		inet_csk_enter_pingpong_mode(sk);
		return;
	}
	inet_csk_exit_pingpong_mode(sk);
	if ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT) &&
	    inet_csk_ack_scheduled(sk)) {
		icsk->icsk_ack.pending |= ICSK_ACK_PUSHED;
		__atcp_cleanup_rbuf(sk, 1, ATCP_ACK_QUICKACK_SET);
		if (!(val & 1))
			inet_csk_enter_pingpong_mode(sk);
	}
}

/*
 * TCP_CORK: part-filled segments wait; taking it off sends them, and so
 * does TCP_NODELAY already set (__tcp_sock_set_cork).
 */
static void atcp_set_cork(struct sock *sk, bool on)
{
	struct atcp_sock *ap = atcp_sk(sk);

	if (on) {
		ap->uopt.nonagle |= ATCP_NAGLE_CORK;
		return;
	}
	ap->uopt.nonagle &= ~ATCP_NAGLE_CORK;
	if (ap->uopt.nonagle & ATCP_NAGLE_OFF)
		ap->uopt.nonagle |= ATCP_NAGLE_PUSH;
	atcp_push_pending_frames(sk);
}

/*
 * TCP_NODELAY gives way to TCP_CORK, but setting it sends what is queued
 * now, corked or not (__tcp_sock_set_nodelay).
 */
static void atcp_set_nodelay(struct sock *sk, bool on)
{
	struct atcp_sock *ap = atcp_sk(sk);

	if (!on) {
		ap->uopt.nonagle &= ~ATCP_NAGLE_OFF;
		return;
	}
	ap->uopt.nonagle |= ATCP_NAGLE_OFF | ATCP_NAGLE_PUSH;
	atcp_push_pending_frames(sk);
}

/*
 * TCP_WINDOW_CLAMP (tcp_set_window_clamp): 0 only before a connection;
 * no less than half the least receive buffer.  A smaller clamp holds the
 * window's growth at once; a larger one lets it grow again from what is
 * offered now.
 */
static int atcp_set_window_clamp(struct sock *sk, int val)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 old_clamp = ap->window_clamp;

	if (!val) {
		if (sk->sk_state != TCP_CLOSE)
			return -EINVAL;
		ap->window_clamp = 0;
		return 0;
	}
	/* (An unsigned comparison, as TCP's: a negative val is huge.) */
	ap->window_clamp = val < SOCK_MIN_RCVBUF / 2 ? SOCK_MIN_RCVBUF / 2 : val;
	if (ap->window_clamp < old_clamp)
		atcp_adjust_rcv_ssthresh(sk, ap->window_clamp);
	else if (ap->window_clamp > old_clamp)
		ap->rcv_ssthresh = max(min(ap->rcv_wnd, ap->window_clamp),
				       ap->rcv_ssthresh);
	return 0;
}

/*
 * TCP_DEFER_ACCEPT's seconds as SYN-ACK retransmissions from the first
 * RTO, 1 s, doubling up to 120 s, and back (tcp.c's secs_to_retrans()
 * and retrans_to_secs()).
 */
static u8 atcp_secs_to_retrans(int seconds)
{
	int timeout = ATCP_TIMEOUT_INIT / HZ, period = timeout;
	u8 res = 0;

	if (seconds > 0) {
		res = 1;
		while (seconds > period && res < 255) {
			res++;
			timeout = min(timeout << 1, ATCP_RTO_MAX / HZ);
			period += timeout;
		}
	}
	return res;
}

static int atcp_retrans_to_secs(u8 retrans)
{
	int timeout = ATCP_TIMEOUT_INIT / HZ, period = 0;

	if (retrans > 0) {
		period = timeout;
		while (--retrans) {
			timeout = min(timeout << 1, ATCP_RTO_MAX / HZ);
			period += timeout;
		}
	}
	return period;
}

/**
 * atcp_setsockopt() - setsockopt() at SOL_TCP or SOL_ATCP
 * @sk: the socket
 * @level: the level
 * @optname: the option
 * @optval: the value
 * @optlen: its length
 *
 * The same validation and errors as TCP's (do_tcp_setsockopt).  Those atcp
 * does not have fail as TCP fails for an option it does not know
 * (Documentation/options.rst).
 *
 * Context: process context; takes lock_sock() itself.
 * Return: 0, or a negative errno.
 */
int atcp_setsockopt(struct sock *sk, int level, int optname,
		    sockptr_t optval, unsigned int optlen)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct atcp_sock *ap = atcp_sk(sk);
	char name[TCP_CA_NAME_MAX];
	int val, err = 0;

	if (!atcp_level_ok(level))
		return ip_setsockopt(sk, level, optname, optval, optlen);

	if (optname == TCP_CONGESTION) {
		long n;

		if (optlen < 1)
			return -EINVAL;
		n = strncpy_from_sockptr(name, optval,
					 min_t(long, TCP_CA_NAME_MAX - 1, optlen));
		if (n < 0)
			return -EFAULT;
		name[n] = 0;
		lock_sock(sk);
		err = atcp_cong_set(sk, name);
		release_sock(sk);
		return err;
	}

	if (optlen < sizeof(int))
		return -EINVAL;
	if (copy_from_sockptr(&val, optval, sizeof(val)))
		return -EFAULT;

	lock_sock(sk);
	switch (optname) {
	case TCP_NODELAY:
		atcp_set_nodelay(sk, val);
		break;
	case TCP_CORK:
		atcp_set_cork(sk, val);
		break;
	case TCP_MAXSEG:
		if (val && (val < (int)ATCP_MIN_MSS || val > MAX_TCP_WINDOW)) {
			err = -EINVAL;
			break;
		}
		ap->uopt.user_mss = val;
		break;
	case TCP_KEEPIDLE:
		if (val < 1 || val > MAX_TCP_KEEPIDLE) {
			err = -EINVAL;
			break;
		}
		ap->uopt.keepalive_time = val * HZ;
		atcp_reset_keepalive(sk);
		break;
	case TCP_KEEPINTVL:
		if (val < 1 || val > MAX_TCP_KEEPINTVL)
			err = -EINVAL;
		else
			ap->uopt.keepalive_intvl = val * HZ;
		break;
	case TCP_KEEPCNT:
		if (val < 1 || val > MAX_TCP_KEEPCNT)
			err = -EINVAL;
		else
			ap->uopt.keepalive_probes = val;
		break;
	case TCP_SYNCNT:
		if (val < 1 || val > MAX_TCP_SYNCNT)
			err = -EINVAL;
		else
			ap->uopt.syn_retries = val;
		break;
	case TCP_LINGER2:
		if (val < 0)
			ap->uopt.linger2 = -1;
		else if (val > TCP_FIN_TIMEOUT_MAX / HZ)
			ap->uopt.linger2 = TCP_FIN_TIMEOUT_MAX;
		else
			ap->uopt.linger2 = val * HZ;
		break;
	case TCP_DEFER_ACCEPT:
		WRITE_ONCE(icsk->icsk_accept_queue.rskq_defer_accept,
			   atcp_secs_to_retrans(val));
		break;
	case TCP_WINDOW_CLAMP:
		err = atcp_set_window_clamp(sk, val);
		break;
	case TCP_QUICKACK:
		atcp_set_quickack(sk, val);
		break;
	case TCP_THIN_DUPACK:
		/* Retired in Linux 4.15: checked, and without effect, as there. */
		if (val < 0 || val > 1)
			err = -EINVAL;
		break;
	case TCP_USER_TIMEOUT:
		if (val < 0)
			err = -EINVAL;
		else
			WRITE_ONCE(icsk->icsk_user_timeout, val);
		break;
	case TCP_TIMESTAMP:
		/* Only a socket in TCP_REPAIR sets it, and atcp has no repair. */
		err = -EPERM;
		break;
	case TCP_NOTSENT_LOWAT:
		WRITE_ONCE(ap->uopt.notsent_lowat, val);
		sk->sk_write_space(sk);
		break;
	case TCP_INQ:
		if (val < 0 || val > 1)
			err = -EINVAL;
		else
			ap->uopt.recvmsg_inq = val;
		break;
	default:
		err = -ENOPROTOOPT;
	}
	release_sock(sk);
	return err;
}

static void atcp_get_info(struct sock *sk, struct atcp_info *info)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct atcp_sock *ap = atcp_sk(sk);

	memset(info, 0, sizeof(*info));
	info->atcpi_state = inet_sk_state_load(sk);
	info->atcpi_ca_state = ap->ca_state;
	info->atcpi_retransmits = icsk->icsk_retransmits;
	info->atcpi_backoff = icsk->icsk_backoff;
	info->atcpi_quickack = icsk->icsk_ack.quick;
	info->atcpi_pingpong = inet_csk_in_pingpong_mode(sk);
	info->atcpi_snd_wscale = ap->snd_wscale;
	info->atcpi_rcv_wscale = ap->rcv_wscale;
	info->atcpi_rto = jiffies_to_usecs(icsk->icsk_rto);
	info->atcpi_ato = jiffies_to_usecs(icsk->icsk_ack.ato);
	info->atcpi_snd_mss = ap->mss_cache;
	info->atcpi_rcv_mss = icsk->icsk_ack.rcv_mss;
	info->atcpi_rtt = ap->srtt_us >> 3;
	info->atcpi_rttvar = ap->mdev_us >> 2;
	info->atcpi_snd_cwnd = ap->snd_cwnd;
	info->atcpi_snd_ssthresh = ap->snd_ssthresh;
	info->atcpi_snd_wnd = ap->snd_wnd;
	info->atcpi_rcv_wnd = ap->rcv_wnd;
	info->atcpi_unacked = DIV_ROUND_UP(atcp_flight(ap), max_t(u32, ap->mss_cache, 1));
	info->atcpi_bytes_sent = ap->bytes_sent;
	info->atcpi_bytes_acked = ap->bytes_acked;
	info->atcpi_bytes_received = ap->bytes_received;
	info->atcpi_segs_out = ap->segs_out;
	info->atcpi_segs_in = ap->segs_in;
	info->atcpi_total_retrans = ap->total_retrans;
	info->atcpi_delayed_acks = ap->delayed_acks;
	info->atcpi_piggybacked_acks = ap->piggybacked_acks;
	info->atcpi_quick_acks = ap->quick_acks;
	info->atcpi_dup_acks_in = ap->dup_acks_in;
	info->atcpi_fast_retrans = ap->fast_retrans;
	info->atcpi_rto_fires = ap->rto_fires;
	info->atcpi_zero_window_probes = ap->zwp_sent;
}

/* struct tcp_info for programs written for TCP (getsockopt SOL_TCP). */
static void atcp_get_tcp_info(struct sock *sk, struct tcp_info *info)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct atcp_sock *ap = atcp_sk(sk);

	memset(info, 0, sizeof(*info));
	info->tcpi_state = inet_sk_state_load(sk);
	info->tcpi_reordering = ap->reordering;
	info->tcpi_snd_cwnd = ap->snd_cwnd;
	if (info->tcpi_state == TCP_LISTEN) {
		/* As TCP's: children ready for accept(), and the bound. */
		info->tcpi_unacked = READ_ONCE(sk->sk_ack_backlog);
		info->tcpi_sacked = READ_ONCE(sk->sk_max_ack_backlog);
		return;
	}
	info->tcpi_ca_state = ap->ca_state;
	info->tcpi_retransmits = icsk->icsk_retransmits;
	info->tcpi_probes = icsk->icsk_probes_out;
	info->tcpi_backoff = icsk->icsk_backoff;
	if (ap->ts_ok)
		info->tcpi_options |= TCPI_OPT_TIMESTAMPS;
	if (ap->sack_ok)
		info->tcpi_options |= TCPI_OPT_SACK;
	if (ap->ecn_flags & ATCP_ECN_OK)
		info->tcpi_options |= TCPI_OPT_ECN;
	if (ap->ecn_flags & ATCP_ECN_SEEN)
		info->tcpi_options |= TCPI_OPT_ECN_SEEN;
	if (ap->wscale_ok) {
		info->tcpi_options |= TCPI_OPT_WSCALE;
		info->tcpi_snd_wscale = ap->snd_wscale;
		info->tcpi_rcv_wscale = ap->rcv_wscale;
	}
	info->tcpi_rto = jiffies_to_usecs(icsk->icsk_rto);
	info->tcpi_ato = jiffies_to_usecs(icsk->icsk_ack.ato);
	info->tcpi_snd_mss = ap->mss_cache;
	info->tcpi_rcv_mss = icsk->icsk_ack.rcv_mss;
	info->tcpi_unacked = DIV_ROUND_UP(atcp_flight(ap), max_t(u32, ap->mss_cache, 1));
	info->tcpi_sacked = ap->sacked_out;
	info->tcpi_lost = ap->lost_marked;
	info->tcpi_last_data_sent = jiffies_to_msecs(tcp_jiffies32 - ap->lsndtime);
	info->tcpi_last_data_recv = jiffies_to_msecs(tcp_jiffies32 - icsk->icsk_ack.lrcvtime);
	info->tcpi_last_ack_recv = jiffies_to_msecs(tcp_jiffies32 - ap->rcv_tstamp);
	info->tcpi_pmtu = icsk->icsk_pmtu_cookie;
	info->tcpi_rtt = ap->srtt_us >> 3;
	info->tcpi_rttvar = ap->mdev_us >> 2;
	info->tcpi_snd_ssthresh = ap->snd_ssthresh;
	info->tcpi_advmss = ap->advmss;
	info->tcpi_rcv_ssthresh = ap->rcv_ssthresh;
	info->tcpi_rcv_space = ap->rcvq_space;
	info->tcpi_total_retrans = ap->total_retrans;
	info->tcpi_bytes_acked = ap->bytes_acked;
	info->tcpi_bytes_received = ap->bytes_received;
	info->tcpi_segs_out = ap->segs_out;
	info->tcpi_segs_in = ap->segs_in;
	info->tcpi_bytes_sent = ap->bytes_sent;
	info->tcpi_bytes_retrans = 0;
	info->tcpi_snd_wnd = ap->snd_wnd;
}

/**
 * atcp_getsockopt() - getsockopt() at SOL_TCP or SOL_ATCP
 * @sk: the socket
 * @level: the level
 * @optname: the option
 * @optval: where the value goes
 * @optlen: its room, then its length
 *
 * Context: process context; takes lock_sock() itself where a value needs it.
 * Return: 0, or a negative errno as TCP's.
 */
int atcp_getsockopt(struct sock *sk, int level, int optname,
		    char __user *optval, int __user *optlen)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct atcp_sock *ap = atcp_sk(sk);
	int val, len;

	if (!atcp_level_ok(level))
		return ip_getsockopt(sk, level, optname, optval, optlen);
	if (get_user(len, optlen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;

	switch (optname) {
	case TCP_INFO: {
		struct atcp_info ainfo;
		struct tcp_info tinfo;
		void *info = &tinfo;
		int size = sizeof(tinfo);

		lock_sock(sk);
		if (level == SOL_TCP) {
			atcp_get_tcp_info(sk, &tinfo);
		} else {
			atcp_get_info(sk, &ainfo);
			info = &ainfo;
			size = sizeof(ainfo);
		}
		release_sock(sk);
		len = min(len, size);
		if (put_user(len, optlen) || copy_to_user(optval, info, len))
			return -EFAULT;
		return 0;
	}
	case TCP_CONGESTION: {
		char name[TCP_CA_NAME_MAX] = {};

		lock_sock(sk);
		strscpy(name, ap->ca_ops->name, sizeof(name));
		release_sock(sk);
		len = min_t(unsigned int, len, TCP_CA_NAME_MAX);
		if (put_user(len, optlen) || copy_to_user(optval, name, len))
			return -EFAULT;
		return 0;
	}
	case TCP_CC_INFO:
		/* Neither Reno nor CUBIC has any (they have no get_info). */
		if (put_user(0, optlen))
			return -EFAULT;
		return 0;
	case TCP_NODELAY:
		val = !!(ap->uopt.nonagle & ATCP_NAGLE_OFF);
		break;
	case TCP_CORK:
		val = !!(ap->uopt.nonagle & ATCP_NAGLE_CORK);
		break;
	case TCP_MAXSEG:
		val = ap->mss_cache;
		if (ap->uopt.user_mss &&
		    ((1 << sk->sk_state) & (TCPF_CLOSE | TCPF_LISTEN)))
			val = ap->uopt.user_mss;
		break;
	case TCP_KEEPIDLE:
		val = atcp_keepalive_time(ap) / HZ;
		break;
	case TCP_KEEPINTVL:
		val = atcp_keepalive_intvl(ap) / HZ;
		break;
	case TCP_KEEPCNT:
		val = atcp_keepalive_probes(ap);
		break;
	case TCP_SYNCNT:
		val = ap->uopt.syn_retries ? : READ_ONCE(atcp_sk_net(sk)->syn_retries);
		break;
	case TCP_LINGER2:
		val = ap->uopt.linger2;
		if (val >= 0)
			val = atcp_fin_timeout(sk) / HZ;
		break;
	case TCP_DEFER_ACCEPT:
		val = atcp_retrans_to_secs(READ_ONCE(icsk->icsk_accept_queue.rskq_defer_accept));
		break;
	case TCP_WINDOW_CLAMP:
		val = ap->window_clamp;
		break;
	case TCP_QUICKACK:
		val = !inet_csk_in_pingpong_mode(sk);
		break;
	case TCP_THIN_DUPACK:
		val = 0;
		break;
	case TCP_USER_TIMEOUT:
		val = READ_ONCE(icsk->icsk_user_timeout);
		break;
	case TCP_TIMESTAMP:
		/* The clock our timestamps carry, this connection's offset on it. */
		val = atcp_ts_now() + READ_ONCE(ap->ts_offset);
		break;
	case TCP_NOTSENT_LOWAT:
		val = READ_ONCE(ap->uopt.notsent_lowat);
		break;
	case TCP_INQ:
		val = ap->uopt.recvmsg_inq;
		break;
	default:
		return -ENOPROTOOPT;
	}

	len = min_t(unsigned int, len, sizeof(int));
	if (put_user(len, optlen) || copy_to_user(optval, &val, len))
		return -EFAULT;
	return 0;
}

static __poll_t atcp_poll(struct file *file, struct socket *sock,
			  poll_table *wait)
{
	struct sock *sk = sock->sk;
	const struct atcp_sock *ap = atcp_sk(sk);
	__poll_t mask = 0;
	u8 shutdown;
	int state;

	sock_poll_wait(file, sock, wait);
	state = inet_sk_state_load(sk);
	if (state == TCP_LISTEN)
		return inet_csk_listen_poll(sk);

	shutdown = READ_ONCE(sk->sk_shutdown);
	if (shutdown == SHUTDOWN_MASK || state == TCP_CLOSE)
		mask |= EPOLLHUP;
	if (shutdown & RCV_SHUTDOWN)
		mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;

	if (state != TCP_SYN_SENT && state != TCP_SYN_RECV) {
		int target = sock_rcvlowat(sk, 0, INT_MAX);
		u16 urg_data = READ_ONCE(ap->urg_data);

		/* The urgent byte out of band at the front is no data to read. */
		if (unlikely(urg_data) &&
		    READ_ONCE(ap->urg_seq) == READ_ONCE(ap->copied_seq) &&
		    !sock_flag(sk, SOCK_URGINLINE))
			target++;
		if ((int)(READ_ONCE(ap->rcv_nxt) - READ_ONCE(ap->copied_seq)) >= target &&
		    !skb_queue_empty_lockless(&sk->sk_receive_queue))
			mask |= EPOLLIN | EPOLLRDNORM;
		/* Writable: room in the buffer, and TCP_NOTSENT_LOWAT's. */
		if (!(shutdown & SEND_SHUTDOWN)) {
			if (__sk_stream_is_writeable(sk, 1)) {
				mask |= EPOLLOUT | EPOLLWRNORM;
			} else {
				sk_set_bit(SOCKWQ_ASYNC_NOSPACE, sk);
				set_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
				/* Pairs with atcp_check_space(): see the space it frees. */
				smp_mb__after_atomic();
				if (__sk_stream_is_writeable(sk, 1))
					mask |= EPOLLOUT | EPOLLWRNORM;
			}
		} else {
			mask |= EPOLLOUT | EPOLLWRNORM;
		}
		if (urg_data & TCP_URG_VALID)
			mask |= EPOLLPRI;
	}
	/* Read sk_err after the state, as tcp_poll() does. */
	smp_rmb();
	if (READ_ONCE(sk->sk_err) ||
	    !skb_queue_empty_lockless(&sk->sk_error_queue))
		mask |= EPOLLERR;
	return mask;
}

#define ATCP_STREAM_OPS						\
	.family		= PF_INET,				\
	.owner		= THIS_MODULE,				\
	.release	= inet_release,				\
	.bind		= inet_bind,				\
	.connect	= inet_stream_connect,			\
	.socketpair	= sock_no_socketpair,			\
	.accept		= inet_accept,				\
	.getname	= inet_getname,				\
	.poll		= atcp_poll,				\
	.ioctl		= inet_ioctl,				\
	.gettstamp	= sock_gettstamp,			\
	.listen		= atcp_listen,				\
	.shutdown	= inet_shutdown,			\
	.setsockopt	= sock_common_setsockopt,		\
	.getsockopt	= sock_common_getsockopt,		\
	.sendmsg	= inet_sendmsg,				\
	.recvmsg	= inet_recvmsg,				\
	.splice_read	= atcp_splice_read,			\
	.mmap		= sock_no_mmap

static const struct proto_ops atcp_stream_ops = {
	ATCP_STREAM_OPS,
};

static const struct proto_ops atcp_stream_peek_off_ops = {
	ATCP_STREAM_OPS,
	.set_peek_off	= sk_set_peek_off,
};

/**
 * atcp_stream_ops_pick() - the socket calls of an atcp socket
 *
 * Context: process context, module init.
 * Return: the proto_ops for atcp's inet_protosw, with SO_PEEK_OFF as the
 * kernel's own TCP has it: from Linux 6.9 on TCP takes it (and MSG_PEEK
 * starts from the offset), before that it refuses it with EOPNOTSUPP.
 * inet_stream_ops says which kernel this is.
 */
const struct proto_ops *atcp_stream_ops_pick(void)
{
	return inet_stream_ops.set_peek_off ? &atcp_stream_peek_off_ops :
					      &atcp_stream_ops;
}
