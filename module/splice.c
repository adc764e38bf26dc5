// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: splice(2) from a socket into a pipe (tcp_splice_read,
 * tcp_read_sock).  The pipe takes references to the received skbs' pages
 * instead of a copy, and a read stops at the urgent mark as TCP's does:
 * splice() then returns 0 rather than waiting for data behind the urgent
 * byte, which only recv(MSG_OOB) or a plain read steps over.
 */
#include <linux/sched/signal.h>
#include <net/sock.h>

#include "atcp.h"

struct atcp_splice_state {
	struct pipe_inode_info *pipe;
	unsigned int flags;
};

/*
 * The skb that holds @seq, freeing those wholly before it: one may have
 * been read while skb_splice_bits() had the socket unlocked (tcp_recv_skb).
 */
static struct sk_buff *atcp_recv_skb(struct sock *sk, u32 seq, u32 *off)
{
	struct sk_buff *skb;

	while ((skb = skb_peek(&sk->sk_receive_queue)) != NULL) {
		u32 offset = seq - ATCP_SKB_CB(skb)->seq;

		if (offset < skb->len) {
			*off = offset;
			return skb;
		}
		__skb_unlink(skb, &sk->sk_receive_queue);
		consume_skb(skb);
	}
	return NULL;
}

/*
 * Hand the receive queue to @recv_actor from copied_seq on, up to the
 * urgent mark (tcp_read_sock).  The actor may release the socket lock.
 * Return: the bytes taken, or the actor's error if it took none.
 */
static int atcp_read_sock(struct sock *sk, read_descriptor_t *desc,
			  sk_read_actor_t recv_actor)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 seq = ap->copied_seq;
	struct sk_buff *skb;
	int copied = 0;
	u32 offset;

	while ((skb = atcp_recv_skb(sk, seq, &offset)) != NULL) {
		size_t len = skb->len - offset;
		int used;

		/* Stop at the urgent mark, whatever SO_OOBINLINE says. */
		if (unlikely(ap->urg_data)) {
			u32 urg_offset = ap->urg_seq - seq;

			if (urg_offset < len)
				len = urg_offset;
			if (!len)
				break;
		}
		used = recv_actor(desc, skb, offset, len);
		if (used <= 0) {
			if (!copied)
				copied = used;
			break;
		}
		if (WARN_ON_ONCE(used > len))
			used = len;
		seq += used;
		copied += used;
		WRITE_ONCE(ap->copied_seq, seq);
		if (!desc->count)
			break;
	}
	/* Free what was read whole; the lock may have gone meanwhile. */
	atcp_recv_skb(sk, seq, &offset);
	if (copied > 0) {
		sk_peek_offset_bwd(sk, copied);
		atcp_rcv_space_adjust(sk);
		atcp_cleanup_rbuf(sk, copied);
	}
	return copied;
}

static int atcp_splice_data_recv(read_descriptor_t *desc, struct sk_buff *skb,
				 unsigned int offset, size_t len)
{
	struct atcp_splice_state *tss = desc->arg.data;
	int ret;

	ret = skb_splice_bits(skb, skb->sk, offset, tss->pipe,
			      min(desc->count, len), tss->flags);
	if (ret > 0)
		desc->count -= ret;
	return ret;
}

/**
 * atcp_splice_read() - splice(2) from an atcp socket into a pipe
 * @sock: the socket
 * @ppos: must be 0: a socket has no position
 * @pipe: the pipe
 * @len: how much at most
 * @flags: SPLICE_F_*
 *
 * As tcp_splice_read: waits for data unless the socket is non-blocking,
 * and returns 0 at the end of the stream or at the urgent mark with the
 * urgent byte still queued.
 *
 * Context: process context; takes lock_sock() itself.
 * Return: the bytes spliced, 0, or a negative errno.
 */
ssize_t atcp_splice_read(struct socket *sock, loff_t *ppos,
			 struct pipe_inode_info *pipe, size_t len,
			 unsigned int flags)
{
	struct atcp_splice_state tss = { .pipe = pipe, .flags = flags };
	struct sock *sk = sock->sk;
	ssize_t spliced = 0;
	long timeo;
	int ret = 0;

	sock_rps_record_flow(sk);
	if (unlikely(*ppos))
		return -ESPIPE;

	lock_sock(sk);
	timeo = sock_rcvtimeo(sk, sock->file->f_flags & O_NONBLOCK);
	while (len) {
		read_descriptor_t desc = { .arg.data = &tss, .count = len };

		if (sk->sk_state == TCP_LISTEN) {
			ret = -ENOTCONN;
			break;
		}
		ret = atcp_read_sock(sk, &desc, atcp_splice_data_recv);
		if (ret < 0)
			break;
		if (!ret) {
			if (spliced || sock_flag(sk, SOCK_DONE))
				break;
			if (sk->sk_err) {
				ret = sock_error(sk);
				break;
			}
			if (sk->sk_shutdown & RCV_SHUTDOWN)
				break;
			if (sk->sk_state == TCP_CLOSE) {
				ret = -ENOTCONN;
				break;
			}
			if (!timeo) {
				ret = -EAGAIN;
				break;
			}
			/* Data is queued but not readable: the urgent mark. */
			if (!skb_queue_empty(&sk->sk_receive_queue))
				break;
			sk_wait_data(sk, &timeo, NULL);
			if (signal_pending(current)) {
				ret = sock_intr_errno(timeo);
				break;
			}
			continue;
		}
		len -= ret;
		spliced += ret;
		if (!len || !timeo)
			break;
		/* Take in the backlog before the next round. */
		release_sock(sk);
		lock_sock(sk);
		if (sk->sk_err || sk->sk_state == TCP_CLOSE ||
		    (sk->sk_shutdown & RCV_SHUTDOWN) || signal_pending(current))
			break;
	}
	release_sock(sk);
	return spliced ? spliced : ret;
}
