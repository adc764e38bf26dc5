// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: the out-of-order queue and the SACK blocks that describe it.
 *
 * Segments that arrive above rcv_nxt wait in an rbtree ordered by sequence
 * number (TCP's out_of_order_queue), so that no order of arrivals costs
 * more than a logarithmic walk; a segment that continues the last one is
 * appended to it without a walk, and its payload is coalesced into it
 * where the skbs allow.  What keeps the queue within memory, when the
 * receive buffer or the protocol's memory is spent: runs of small
 * contiguous segments are copied into compact skbs, and as the last
 * resort the highest segments are dropped, never those below the one
 * arriving, so that the segment that fills the hole always finds room
 * (tcp_collapse_ofo_queue, tcp_prune_ofo_queue).
 *
 * Everything here runs with the socket owned (softirq with bh_lock_sock
 * and no user owner, or process context with lock_sock).
 */
#include <linux/module.h>
#include <linux/rbtree.h>
#include <net/tcp_states.h>

#include "atcp.h"

static struct sk_buff *atcp_ofo_last(const struct atcp_sock *ap)
{
	return skb_rb_last(&ap->ofo_root);
}

/**
 * atcp_try_coalesce() - append one segment's payload to another's
 * @sk: the socket owning both
 * @to: the segment in a queue
 * @from: the segment that continues it
 * @fragstolen: set when @from's head was stolen along with its frags
 *
 * The receive queue and the out-of-order queue keep fewer, larger skbs
 * (tcp_try_coalesce).
 *
 * Context: the socket owned by the caller (the receive path).
 * Return: true if @from's payload is now in @to; the caller then frees
 * @from with kfree_skb_partial(from, *fragstolen).
 */
bool atcp_try_coalesce(struct sock *sk, struct sk_buff *to,
		       struct sk_buff *from, bool *fragstolen)
{
	int delta;

	*fragstolen = false;
	if (ATCP_SKB_CB(from)->seq != ATCP_SKB_CB(to)->end_seq ||
	    (ATCP_SKB_CB(to)->tcp_flags & TCPHDR_FIN))
		return false;
	if (!skb_try_coalesce(to, from, fragstolen, &delta))
		return false;
	atomic_add(delta, &sk->sk_rmem_alloc);
	sk_mem_charge(sk, delta);
	ATCP_SKB_CB(to)->end_seq = ATCP_SKB_CB(from)->end_seq;
	ATCP_SKB_CB(to)->tcp_flags |= ATCP_SKB_CB(from)->tcp_flags;
	return true;
}

static void atcp_ofo_drop(struct sock *sk, struct sk_buff *skb)
{
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_OFO_DROPPED);
	kfree_skb(skb);
}

/*
 * RFC 2018 receiver: [seq, end_seq) joined the out-of-order queue.  Its
 * block goes first, merged with any block it touches; the oldest block
 * falls off when there are more than ATCP_NUM_SACKS.
 */
static void atcp_sack_new_ofo(struct atcp_sock *ap, u32 seq, u32 end_seq)
{
	struct atcp_sack_block *sp = ap->selective_acks;
	struct atcp_sack_block cur = { seq, end_seq };
	int n = ap->num_sacks, i, j;

	for (i = 0; i < n;) {
		if (after(sp[i].start, cur.end) || after(cur.start, sp[i].end)) {
			i++;
			continue;
		}
		if (before(sp[i].start, cur.start))
			cur.start = sp[i].start;
		if (after(sp[i].end, cur.end))
			cur.end = sp[i].end;
		for (j = i; j < n - 1; j++)
			sp[j] = sp[j + 1];
		n--;
	}
	if (n == ATCP_NUM_SACKS)
		n--;
	for (j = n; j > 0; j--)
		sp[j] = sp[j - 1];
	sp[0] = cur;
	ap->num_sacks = n + 1;
}

/**
 * atcp_dsack_set() - data [seq, end_seq) arrived that was already here
 * @sk: the receiving socket
 * @seq: where the duplicate begins
 * @end_seq: where it ends
 *
 * RFC 2883: the next ACK reports it as its first SACK block, so that the
 * sender can tell a needless retransmission (tcp_dsack_set).
 * Context: the socket owned.
 */
void atcp_dsack_set(struct sock *sk, u32 seq, u32 end_seq)
{
	struct atcp_sock *ap = atcp_sk(sk);

	if (!ap->sack_ok || !READ_ONCE(atcp_sk_net(sk)->dsack) ||
	    !before(seq, end_seq))
		return;
	ap->duplicate_sack.start = seq;
	ap->duplicate_sack.end = end_seq;
	ap->dsack = 1;
}

/* A further duplicate: widen the block to take it in (tcp_dsack_extend). */
static void atcp_dsack_extend(struct sock *sk, u32 seq, u32 end_seq)
{
	struct atcp_sock *ap = atcp_sk(sk);

	if (!ap->dsack) {
		atcp_dsack_set(sk, seq, end_seq);
		return;
	}
	if (before(seq, ap->duplicate_sack.start))
		ap->duplicate_sack.start = seq;
	if (after(end_seq, ap->duplicate_sack.end))
		ap->duplicate_sack.end = end_seq;
}

/**
 * atcp_sack_remove() - forget the SACK blocks that rcv_nxt now covers
 * @ap: the receiving socket
 *
 * Context: the socket owned.
 */
void atcp_sack_remove(struct atcp_sock *ap)
{
	struct atcp_sack_block *sp = ap->selective_acks;
	int n = ap->num_sacks, i, j;

	if (RB_EMPTY_ROOT(&ap->ofo_root)) {
		ap->num_sacks = 0;
		return;
	}
	for (i = 0; i < n;) {
		if (after(sp[i].end, ap->rcv_nxt)) {
			if (before(sp[i].start, ap->rcv_nxt))
				sp[i].start = ap->rcv_nxt;
			i++;
			continue;
		}
		for (j = i; j < n - 1; j++)
			sp[j] = sp[j + 1];
		n--;
	}
	ap->num_sacks = n;
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_sack_remove);

/**
 * atcp_ofo_queue() - keep a segment that arrived above rcv_nxt
 * @sk: the receiving socket
 * @skb: the segment, its header pulled, its memory scheduled; consumed
 *
 * Overlaps are resolved as TCP does: what is already held is not taken
 * twice, and a segment that covers others replaces them.
 * Context: the socket owned.
 */
void atcp_ofo_queue(struct sock *sk, struct sk_buff *skb)
{
	struct atcp_sock *ap = atcp_sk(sk);
	u32 seq = ATCP_SKB_CB(skb)->seq;
	u32 end_seq = ATCP_SKB_CB(skb)->end_seq;
	struct rb_node **p, *parent = NULL;
	struct sk_buff *skb1, *last;
	bool fragstolen;

	sock_owned_by_me(sk);

	p = &ap->ofo_root.rb_node;
	last = atcp_ofo_last(ap);
	if (!last)
		goto insert;
	/* The common case: the segment continues the last one. */
	if (atcp_try_coalesce(sk, last, skb, &fragstolen))
		goto coalesced;
	if (!before(seq, ATCP_SKB_CB(last)->end_seq)) {
		parent = &last->rbnode;
		p = &parent->rb_right;
		goto insert;
	}
	while (*p) {
		parent = *p;
		skb1 = rb_to_skb(parent);
		if (before(seq, ATCP_SKB_CB(skb1)->seq)) {
			p = &parent->rb_left;
			continue;
		}
		if (before(seq, ATCP_SKB_CB(skb1)->end_seq)) {
			if (!after(end_seq, ATCP_SKB_CB(skb1)->end_seq)) {
				/* All of it is here already. */
				atcp_dsack_set(sk, seq, end_seq);
				atcp_ofo_drop(sk, skb);
				goto add_sack;
			}
			if (seq == ATCP_SKB_CB(skb1)->seq) {
				/* It covers skb1: take its place. */
				rb_replace_node(&skb1->rbnode, &skb->rbnode,
						&ap->ofo_root);
				atcp_dsack_extend(sk, ATCP_SKB_CB(skb1)->seq,
						  ATCP_SKB_CB(skb1)->end_seq);
				atcp_ofo_drop(sk, skb1);
				goto merge_right;
			}
			/* A partial overlap: both stay. */
			atcp_dsack_set(sk, seq, ATCP_SKB_CB(skb1)->end_seq);
		} else if (atcp_try_coalesce(sk, skb1, skb, &fragstolen)) {
			goto coalesced;
		}
		p = &parent->rb_right;
	}
insert:
	rb_link_node(&skb->rbnode, parent, p);
	rb_insert_color(&skb->rbnode, &ap->ofo_root);
merge_right:
	/* Drop what the new segment covers whole. */
	while ((skb1 = skb_rb_next(skb)) != NULL) {
		if (!after(end_seq, ATCP_SKB_CB(skb1)->seq) ||
		    before(end_seq, ATCP_SKB_CB(skb1)->end_seq))
			break;
		rb_erase(&skb1->rbnode, &ap->ofo_root);
		atcp_dsack_extend(sk, ATCP_SKB_CB(skb1)->seq,
				  ATCP_SKB_CB(skb1)->end_seq);
		atcp_ofo_drop(sk, skb1);
	}
	/* Without SACK the window stays, for duplicate ACKs to go out. */
	if (ap->sack_ok)
		atcp_grow_window(sk, skb, false);
	skb_set_owner_r(skb, sk);
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_OFO_QUEUED);
	goto add_sack;

coalesced:
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_OFO_QUEUED);
	if (ap->sack_ok)
		atcp_grow_window(sk, skb, true);
	kfree_skb_partial(skb, fragstolen);
add_sack:
	if (ap->sack_ok)
		atcp_sack_new_ofo(ap, seq, end_seq);
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_ofo_queue);

/**
 * atcp_ofo_drain() - move the segments the last arrival made in order
 * @sk: the receiving socket
 *
 * Context: the socket owned.
 */
void atcp_ofo_drain(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct rb_node *p;

	while ((p = rb_first(&ap->ofo_root)) != NULL) {
		struct sk_buff *skb = rb_to_skb(p);
		struct atcp_skb_cb *cb = ATCP_SKB_CB(skb);

		if (after(cb->seq, ap->rcv_nxt))
			break;
		rb_erase(p, &ap->ofo_root);
		if (!after(cb->end_seq, ap->rcv_nxt)) {
			kfree_skb(skb);
			continue;
		}
		atcp_queue_rcv(sk, skb);
		if (sk->sk_state == TCP_CLOSE || (sk->sk_shutdown & RCV_SHUTDOWN))
			break;
	}
}

/**
 * atcp_ofo_purge() - free the whole out-of-order queue
 * @sk: the socket
 *
 * The connection is over, or a FIN came; the SACK blocks go with it.
 *
 * Context: the socket owned by the caller (the receive path, a disconnect,
 * or the socket's destruction).
 */
void atcp_ofo_purge(struct sock *sk)
{
	struct rb_root *root = &atcp_sk(sk)->ofo_root;
	struct rb_node *p;

	while ((p = rb_first(root)) != NULL) {
		rb_erase(p, root);
		kfree_skb(rb_to_skb(p));
	}
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_ofo_purge);

/* Put skb in its place by sequence, where nothing overlaps it. */
static void atcp_ofo_insert(struct atcp_sock *ap, struct sk_buff *skb)
{
	struct rb_node **p = &ap->ofo_root.rb_node, *parent = NULL;

	while (*p) {
		parent = *p;
		if (before(ATCP_SKB_CB(skb)->seq,
			   ATCP_SKB_CB(rb_to_skb(parent))->seq))
			p = &parent->rb_left;
		else
			p = &parent->rb_right;
	}
	rb_link_node(&skb->rbnode, parent, p);
	rb_insert_color(&skb->rbnode, &ap->ofo_root);
}

/* A collapsed skb: one page, linear. */
#define ATCP_COLLAPSE_SIZE	SKB_MAX_ORDER(0, 0)

/*
 * Copy the payload of the contiguous segments from head up to stop,
 * [start, end), into as few one-page skbs as hold it (tcp_collapse).
 * Nothing changes if those cannot all be had.
 */
static void atcp_collapse_run(struct sock *sk, struct sk_buff *head,
			      struct sk_buff *stop, u32 start, u32 end)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff_head fresh, old;
	struct sk_buff *skb, *nskb, *next;
	int n = DIV_ROUND_UP(end - start, ATCP_COLLAPSE_SIZE);
	u32 seq = start;

	__skb_queue_head_init(&fresh);
	while (n--) {
		nskb = alloc_skb(ATCP_COLLAPSE_SIZE, GFP_ATOMIC | __GFP_NOWARN);
		if (!nskb) {
			__skb_queue_purge(&fresh);
			return;
		}
		__skb_queue_tail(&fresh, nskb);
	}
	/* The rbnode shares its room with the list pointers. */
	__skb_queue_head_init(&old);
	for (skb = head; skb != stop; skb = next) {
		next = skb_rb_next(skb);
		rb_erase(&skb->rbnode, &ap->ofo_root);
		__skb_queue_tail(&old, skb);
	}

	skb = skb_peek(&old);
	while ((nskb = __skb_dequeue(&fresh)) != NULL) {
		memcpy(nskb->cb, skb->cb, sizeof(skb->cb));
		ATCP_SKB_CB(nskb)->seq = seq;
		ATCP_SKB_CB(nskb)->tcp_flags = 0;
		while (skb_tailroom(nskb) && before(seq, end)) {
			u32 size;

			while (!before(seq, ATCP_SKB_CB(skb)->end_seq))
				skb = skb->next;
			size = min3(ATCP_SKB_CB(skb)->end_seq - seq,
				    (u32)skb_tailroom(nskb), end - seq);
			/* The run is contiguous: seq lies within skb. */
			if (skb_copy_bits(skb, seq - ATCP_SKB_CB(skb)->seq,
					  skb_put(nskb, size), size))
				WARN_ON_ONCE(1);
			seq += size;
		}
		ATCP_SKB_CB(nskb)->end_seq = seq;
		skb_set_owner_r(nskb, sk);
		atcp_ofo_insert(ap, nskb);
	}
	__skb_queue_purge(&old);
}

/*
 * Collapse every run of contiguous segments where that saves memory:
 * more than one segment, or one larger than a page (tcp_collapse_ofo_queue).
 * A segment with a FIN keeps its own skb.  Lone small segments cannot be
 * made smaller; once they alone hold an eighth of the buffer, stop.
 */
static void atcp_collapse_ofo_queue(struct sock *sk)
{
	struct atcp_sock *ap = atcp_sk(sk);
	struct sk_buff *skb = skb_rb_first(&ap->ofo_root);
	u32 sum_tiny = 0;

	while (skb) {
		struct sk_buff *head = skb;
		u32 start = ATCP_SKB_CB(skb)->seq;
		u32 end = ATCP_SKB_CB(skb)->end_seq;
		u32 range_truesize = skb->truesize;

		if (ATCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN) {
			skb = skb_rb_next(skb);
			continue;
		}
		for (skb = skb_rb_next(skb); skb; skb = skb_rb_next(skb)) {
			if (after(ATCP_SKB_CB(skb)->seq, end) ||
			    (ATCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN))
				break;
			range_truesize += skb->truesize;
			if (after(ATCP_SKB_CB(skb)->end_seq, end))
				end = ATCP_SKB_CB(skb)->end_seq;
		}
		if (range_truesize != head->truesize ||
		    end - start >= ATCP_COLLAPSE_SIZE) {
			atcp_collapse_run(sk, head, skb, start, end);
		} else {
			sum_tiny += range_truesize;
			if (sum_tiny > (u32)READ_ONCE(sk->sk_rcvbuf) >> 3)
				return;
		}
	}
}

/*
 * Drop out-of-order segments, the highest first, down to the one that
 * arrives, an eighth of the buffer at a time until the memory is back
 * within bounds (tcp_prune_ofo_queue).  Returns true if any went.
 */
static bool atcp_prune_ofo_queue(struct sock *sk, const struct sk_buff *in_skb)
{
	struct atcp_sock *ap = atcp_sk(sk);
	int goal = READ_ONCE(sk->sk_rcvbuf) >> 3;
	struct sk_buff *skb = atcp_ofo_last(ap);
	bool pruned = false;

	while (skb) {
		struct sk_buff *prev = skb_rb_prev(skb);

		if (after(ATCP_SKB_CB(in_skb)->seq, ATCP_SKB_CB(skb)->seq))
			break;
		pruned = true;
		rb_erase(&skb->rbnode, &ap->ofo_root);
		goal -= skb->truesize;
		atcp_ofo_drop(sk, skb);
		if (goal <= 0) {
			if (!atcp_rmem_full(sk, in_skb) &&
			    !sk_under_memory_pressure(sk))
				break;
			goal = READ_ONCE(sk->sk_rcvbuf) >> 3;
		}
		skb = prev;
	}
	if (pruned) {
		ATCP_INC_STATS(sock_net(sk), ATCP_MIB_OFO_PRUNED);
		/* As at an RTO on the sending side: start the blocks anew. */
		ap->num_sacks = 0;
	}
	return pruned;
}

/*
 * The receive buffer cannot take in_skb: make room by collapsing the
 * out-of-order queue, then by dropping from its top (tcp_prune_queue).
 * Returns 0 when there is room now, -1 when in_skb must be dropped.
 */
static int atcp_prune_queue(struct sock *sk, const struct sk_buff *in_skb)
{
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_PRUNE_CALLED);
	if (atomic_read(&sk->sk_rmem_alloc) >= sk->sk_rcvbuf)
		atcp_clamp_window(sk);
	else if (sk_under_memory_pressure(sk))
		atcp_adjust_rcv_ssthresh(sk, 4U * atcp_sk(sk)->advmss);
	if (!atcp_rmem_full(sk, in_skb))
		return 0;
	atcp_collapse_ofo_queue(sk);
	if (!atcp_rmem_full(sk, in_skb))
		return 0;
	atcp_prune_ofo_queue(sk, in_skb);
	if (!atcp_rmem_full(sk, in_skb))
		return 0;
	ATCP_INC_STATS(sock_net(sk), ATCP_MIB_RCV_PRUNED);
	return -1;
}

/**
 * atcp_try_rmem_schedule() - find room for a received segment
 * @sk: the receiving socket
 * @skb: the segment
 *
 * Room within the receive buffer's bound and in the protocol's memory,
 * pruning the out-of-order queue for it if need be (tcp_try_rmem_schedule).
 * Return: 0 when the segment may be queued, -1 when it is to be dropped.
 * Context: the socket owned.
 */
int atcp_try_rmem_schedule(struct sock *sk, struct sk_buff *skb)
{
	if (!atcp_rmem_full(sk, skb) && sk_rmem_schedule(sk, skb, skb->truesize))
		return 0;
	if (atcp_prune_queue(sk, skb) < 0)
		return -1;
	while (!sk_rmem_schedule(sk, skb, skb->truesize)) {
		if (!atcp_prune_ofo_queue(sk, skb))
			return -1;
	}
	return 0;
}
EXPORT_SYMBOL_FOR_ATCP_KUNIT(atcp_try_rmem_schedule);
