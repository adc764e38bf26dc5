// SPDX-License-Identifier: GPL-2.0
/*
 * atcp's KUnit suites: segments and sockets for the tests, freed when the
 * test ends, however it ends.
 */
#include <kunit/resource.h>
#include <linux/ip.h>
#include <linux/module.h>
#include <linux/skbuff.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "atcp_kunit.h"

/* context: the skb's size */
static int atcp_kunit_skb_init(struct kunit_resource *res, void *context)
{
	res->data = alloc_skb(*(unsigned int *)context, GFP_KERNEL);
	return res->data ? 0 : -ENOMEM;
}

static void atcp_kunit_skb_free(struct kunit_resource *res)
{
	kfree_skb(res->data);
}

/**
 * atcp_kunit_segment() - an IPv4 packet holding the segment @seg describes
 * @test: the test; the skb is freed when it ends
 * @seg: the headers' fields, options and payload
 *
 * The network and transport headers are set, and the control block as
 * ipv4.c fills it for a received segment (seq, end_seq, ack_seq,
 * tcp_flags, header_len).
 *
 * Return: the skb (the test fails and ends if there is no memory).
 */
struct sk_buff *atcp_kunit_segment(struct kunit *test,
				   const struct atcp_kunit_seg *seg)
{
	unsigned int doff = seg->doff ? : 5 + DIV_ROUND_UP(seg->optlen, 4);
	struct atcp_skb_cb *cb;
	struct sk_buff *skb;
	unsigned int size;
	struct tcphdr *th;
	struct iphdr *iph;

	KUNIT_ASSERT_LE(test, doff, 15U);
	KUNIT_ASSERT_LE(test, seg->optlen, 40U);
	size = MAX_HEADER + sizeof(*iph) + 60 + seg->taillen;
	skb = kunit_alloc_resource(test, atcp_kunit_skb_init,
				   atcp_kunit_skb_free, GFP_KERNEL, &size);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, MAX_HEADER);
	skb->protocol = htons(ETH_P_IP);

	skb_reset_network_header(skb);
	iph = skb_put_zero(skb, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = atcp_proto_num;
	iph->saddr = seg->saddr;
	iph->daddr = seg->daddr;

	skb_set_transport_header(skb, sizeof(*iph));
	th = skb_put_zero(skb, max_t(unsigned int, doff * 4,
				     sizeof(*th) + seg->optlen));
	th->source = seg->sport;
	th->dest = seg->dport;
	th->seq = htonl(seg->seq);
	th->ack_seq = htonl(seg->ack);
	th->doff = doff;
	tcp_flag_byte(th) = seg->flags;
	th->window = htons(65535);
	if (seg->optlen)
		memcpy(th + 1, seg->opts, seg->optlen);
	if (seg->taillen)
		skb_put_data(skb, seg->tail, seg->taillen);
	iph->tot_len = htons(skb->len);

	cb = ATCP_SKB_CB(skb);
	memset(cb, 0, sizeof(*cb));
	cb->seq = seg->seq;
	cb->end_seq = seg->seq + skb->len - sizeof(*iph) - doff * 4 +
		      !!(seg->flags & TCPHDR_SYN) + !!(seg->flags & TCPHDR_FIN);
	cb->ack_seq = seg->ack;
	cb->tcp_flags = seg->flags;
	cb->header_len = doff * 4;
	return skb;
}

static int atcp_kunit_sock_init(struct kunit_resource *res, void *context)
{
	struct socket *sock;
	int err;

	err = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, atcp_proto_num,
			       &sock);
	if (err)
		return err;
	res->data = sock;
	return 0;
}

/*
 * What a test left in the socket goes before the socket does: the
 * delayed-ACK timer it armed, the segments it queued as if sent (never
 * charged to the socket), the out-of-order queue it filled.
 */
static void atcp_kunit_sock_free(struct kunit_resource *res)
{
	struct socket *sock = res->data;
	struct sock *sk = sock->sk;

	lock_sock(sk);
	sk_stop_timer(sk, &inet_csk(sk)->icsk_delack_timer);
	inet_csk(sk)->icsk_ack.pending = 0;
	__skb_queue_purge(&sk->sk_write_queue);
	atcp_sk(sk)->send_head = NULL;
	atcp_ofo_purge(sk);
	sk_mem_reclaim(sk);
	release_sock(sk);
	sock_release(sock);
}

/**
 * atcp_kunit_sock() - a new atcp socket of the initial namespace
 * @test: the test; the socket is released when it ends
 *
 * Return: the socket, closed (TCP_CLOSE) and unbound, as socket() makes it.
 */
struct sock *atcp_kunit_sock(struct kunit *test)
{
	struct socket *sock;

	sock = kunit_alloc_resource(test, atcp_kunit_sock_init,
				    atcp_kunit_sock_free, GFP_KERNEL, NULL);
	KUNIT_ASSERT_NOT_NULL(test, sock);
	return sock->sk;
}

MODULE_DESCRIPTION("atcp: KUnit tests of the protocol's rules");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(ATCP_KUNIT);
