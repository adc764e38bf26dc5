// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: segmentation offload.  A super-segment is one skb of several
 * segments' data behind the header of the first, gso_size the MSS: it
 * crosses IP output, the qdisc and a device that takes it whole (veth,
 * loopback) once, where one skb a segment would cross each of them once a
 * segment.  Before a device that cannot take it, the core calls
 * atcp_gso_segment() to cut it into the segments it stands for, as
 * tcp_gso_segment() does for TCP.
 *
 * The GSO type is SKB_GSO_SCTP, not SKB_GSO_TCPV4.  A device's claim of a
 * type is a promise to cut that protocol's packets: a NIC that claims
 * TCPV4 (TSO) would be handed atcp's, and parse IP protocol 253 as TCP
 * (some do, some drop them, virtio-net on 6.1 sends them on uncut).  No
 * driver claims SCTP segmentation in hardware: the type is in
 * NETIF_F_GSO_SOFTWARE only, so every software device that carries
 * super-segments takes atcp's whole, and before any other the core
 * segments them here.  Nothing outside this file reads the type as SCTP's
 * but for header-length estimates (skb_gso_transport_seglen() counts a
 * 12-byte header, less than ours: super-segments built to the MSS pass
 * its MTU check, as they should).
 *
 * The checksum: a super-segment is always CHECKSUM_PARTIAL, seeded with
 * the pseudo-header of atcp's protocol.  A device that checksums only TCP
 * and UDP (NETIF_F_IP_CSUM) must never be handed atcp's segments to
 * checksum (the core would pass them for the TCP-like offset of the
 * field), so the segments are checksummed here unless the device
 * checksums any protocol (NETIF_F_HW_CSUM).
 */
#include <linux/skbuff.h>
#include <net/ip.h>
#include <net/protocol.h>

#include "atcp.h"

/*
 * The checksum field of one cut segment: left to the device, or done.
 * The field holds the folded pseudo-header sum; its complement, widened
 * as TCP's GSO widens it, is where the sum of the segment starts.
 */
static void atcp_gso_csum(struct sk_buff *seg, struct tcphdr *th)
{
	__wsum seed = (__force __wsum)~(u32)(__force u16)th->check;

	if (seg->ip_summed == CHECKSUM_PARTIAL)
		gso_reset_checksum(seg, seed);
	else
		th->check = gso_make_checksum(seg, seed);
}

/*
 * A super-segment that was not built here (forwarded, or from a packet
 * socket) may come without the pseudo-header seeded: seed it.
 */
static void atcp_gso_seed_csum(struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	struct tcphdr *th = tcp_hdr(skb);

	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);
	th->check = ~csum_tcpudp_magic(iph->saddr, iph->daddr, skb->len,
				       atcp_proto_num, 0);
}

/*
 * Cut a super-segment into its segments: each gets the header of the
 * first with its own sequence number, FIN and PSH only on the last, CWR
 * only on the first (as TCP's), and its checksum.  The data is not copied
 * where the device takes fragments.
 */
static struct sk_buff *atcp_gso_segment(struct sk_buff *skb,
					netdev_features_t features)
{
	struct sk_buff *segs = ERR_PTR(-EINVAL);
	unsigned int thlen, mss, oldlen, seq;
	struct tcphdr *th;
	__sum16 newcheck;
	__wsum delta;

	if (!(skb_shinfo(skb)->gso_type & ATCP_GSO_TYPE) ||
	    !pskb_may_pull(skb, sizeof(*th)))
		return segs;
	thlen = tcp_hdr(skb)->doff * 4;
	if (thlen < sizeof(*th) || !pskb_may_pull(skb, thlen))
		return segs;
	if (skb->ip_summed != CHECKSUM_PARTIAL)
		atcp_gso_seed_csum(skb);
	if (unlikely(skb_checksum_start(skb) != skb_transport_header(skb)))
		return segs;

	oldlen = ~skb->len;
	__skb_pull(skb, thlen);
	mss = skb_shinfo(skb)->gso_size;
	if (unlikely(!mss || skb->len <= mss))
		return segs;
	/* The device takes it whole after all: count its segments again. */
	if (skb_gso_ok(skb, features | NETIF_F_GSO_ROBUST)) {
		skb_shinfo(skb)->gso_segs = DIV_ROUND_UP(skb->len, mss);
		return NULL;
	}
	if (!(features & NETIF_F_HW_CSUM))
		features &= ~NETIF_F_CSUM_MASK;

	segs = skb_segment(skb, features);
	if (IS_ERR(segs))
		return segs;

	skb = segs;
	th = tcp_hdr(skb);
	seq = ntohl(th->seq);
	/* The first header counted the whole length: each counts its own. */
	delta = (__force __wsum)htonl(oldlen + thlen + mss);
	newcheck = ~csum_fold(csum_add(csum_unfold(th->check), delta));
	while (skb->next) {
		th->fin = 0;
		th->psh = 0;
		th->check = newcheck;
		atcp_gso_csum(skb, th);
		seq += mss;
		skb = skb->next;
		th = tcp_hdr(skb);
		th->seq = htonl(seq);
		th->cwr = 0;
	}
	delta = (__force __wsum)htonl(oldlen + (skb_tail_pointer(skb) -
						 skb_transport_header(skb)) +
				      skb->data_len);
	th->check = ~csum_fold(csum_add(csum_unfold(th->check), delta));
	atcp_gso_csum(skb, th);
	return segs;
}

static const struct net_offload atcp_offload = {
	.callbacks = {
		.gso_segment	= atcp_gso_segment,
	},
};

/**
 * atcp_setup_caps() - what a route's device does for atcp's segments
 * @sk: a socket given its route
 * @dst: the route
 *
 * As sk_setup_caps() for TCP: super-segments on every route, whatever the
 * device takes whole (the core cuts them before one that takes none, even
 * without scatter-gather), but where the device's owner turned generic
 * segmentation off (``ethtool -K DEV gso off``: one segment a packet from
 * the socket, as asked) or IPsec transforms the route.  A single
 * segment's checksum is left to the device only where it checksums any
 * protocol (atcp_csum_offload()).
 * Context: the socket owned, or not yet visible to anyone else.
 */
void atcp_setup_caps(struct sock *sk, struct dst_entry *dst)
{
	const struct net_device *dev = dst->dev;

	sk->sk_gso_type = ATCP_GSO_TYPE;
	sk_setup_caps(sk, dst);
	if (!(READ_ONCE(dev->wanted_features) & NETIF_F_GSO) ||
	    dst->header_len || sk->sk_gso_disabled) {
		sk->sk_route_caps &= ~NETIF_F_GSO_MASK;
		sk->sk_gso_max_segs = 1;
		return;
	}
	sk->sk_route_caps |= NETIF_F_GSO_SOFTWARE | NETIF_F_SG;
	sk->sk_gso_max_size = min_t(u32, READ_ONCE(dev->gso_max_size),
				    GSO_LEGACY_MAX_SIZE) - (MAX_TCP_HEADER + 1);
	sk->sk_gso_max_segs = max_t(u32, READ_ONCE(dev->gso_max_segs), 1);
}

/**
 * atcp_csum_offload() - whether the device checksums a single segment
 * @sk: the sender
 *
 * Decided on the socket's current route, not on sk_route_caps: the IP
 * layer may route again and call sk_setup_caps() itself, which would
 * promise a checksum for GSO's sake.
 * Return: true if the route's device checksums any protocol.
 * Context: the socket owned.
 */
bool atcp_csum_offload(const struct sock *sk)
{
	const struct dst_entry *dst = __sk_dst_get((struct sock *)sk);

	return dst && (READ_ONCE(dst->dev->features) & NETIF_F_HW_CSUM);
}

/**
 * atcp_offload_init() - register the segmentation offload of the protocol
 *
 * Return: 0, or -EBUSY if the protocol number has an offload already.
 * Context: process context, at module load.
 */
int atcp_offload_init(void)
{
	return inet_add_offload(&atcp_offload, atcp_proto_num) ? -EBUSY : 0;
}

/**
 * atcp_offload_exit() - unregister the segmentation offload, waiting for
 * every running callback to finish (synchronize_net())
 *
 * Context: process context, at module unload or a failed load.
 */
void atcp_offload_exit(void)
{
	inet_del_offload(&atcp_offload, atcp_proto_num);
}
