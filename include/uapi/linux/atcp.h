/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * atcp: a TCP transport under its own IP protocol number.
 *
 * This header is what userspace sees.  It builds with or without the
 * kernel's headers: only fixed-size integer types from <linux/types.h>.
 */
#ifndef _UAPI_LINUX_ATCP_H
#define _UAPI_LINUX_ATCP_H

#include <linux/types.h>

/* Default IP protocol number (RFC 3692 experimental); module parameter "proto". */
#ifndef IPPROTO_ATCP
#define IPPROTO_ATCP		253
#endif

/*
 * Socket option level.  Options are accepted at SOL_ATCP and at SOL_TCP
 * with the same names and values as TCP's, so code written for TCP only
 * changes its protocol number.
 */
#define SOL_ATCP		IPPROTO_ATCP

#define ATCP_NODELAY		1	/* TCP_NODELAY */
#define ATCP_MAXSEG		2	/* TCP_MAXSEG */
#define ATCP_KEEPIDLE		4	/* TCP_KEEPIDLE */
#define ATCP_KEEPINTVL		5	/* TCP_KEEPINTVL */
#define ATCP_KEEPCNT		6	/* TCP_KEEPCNT */
#define ATCP_SYNCNT		7	/* TCP_SYNCNT */
#define ATCP_LINGER2		8	/* TCP_LINGER2 */
#define ATCP_INFO		11	/* TCP_INFO: struct atcp_info */
#define ATCP_QUICKACK		12	/* TCP_QUICKACK */
#define ATCP_CONGESTION		13	/* TCP_CONGESTION */

/* Connection states, numbered as TCP's (and as /proc/net/atcp shows them). */
enum {
	ATCP_ESTABLISHED = 1,
	ATCP_SYN_SENT,
	ATCP_SYN_RECV,
	ATCP_FIN_WAIT1,
	ATCP_FIN_WAIT2,
	ATCP_TIME_WAIT,
	ATCP_CLOSE,
	ATCP_CLOSE_WAIT,
	ATCP_LAST_ACK,
	ATCP_LISTEN,
	ATCP_CLOSING,
	ATCP_NEW_SYN_RECV,
};

/* ATCP_INFO / TCP_INFO at an atcp socket.  Times in microseconds. */
struct atcp_info {
	__u8	atcpi_state;
	__u8	atcpi_ca_state;
	__u8	atcpi_retransmits;	/* consecutive RTO expiries now */
	__u8	atcpi_backoff;
	__u8	atcpi_quickack;		/* quick-ack segments left (0: delayed mode) */
	__u8	atcpi_pingpong;		/* interactive (ping-pong) mode */
	__u8	atcpi_snd_wscale;
	__u8	atcpi_rcv_wscale;

	__u32	atcpi_rto;
	__u32	atcpi_ato;		/* current delayed-ACK timeout */
	__u32	atcpi_snd_mss;
	__u32	atcpi_rcv_mss;

	__u32	atcpi_rtt;		/* smoothed RTT */
	__u32	atcpi_rttvar;
	__u32	atcpi_snd_cwnd;		/* segments */
	__u32	atcpi_snd_ssthresh;
	__u32	atcpi_snd_wnd;		/* bytes, peer's advertised window */
	__u32	atcpi_rcv_wnd;		/* bytes, our advertised window */
	__u32	atcpi_unacked;		/* segments in flight */
	__u32	atcpi_lost;

	__u64	atcpi_bytes_sent;
	__u64	atcpi_bytes_acked;
	__u64	atcpi_bytes_received;
	__u32	atcpi_segs_out;
	__u32	atcpi_segs_in;
	__u32	atcpi_total_retrans;	/* segments retransmitted */
	__u32	atcpi_delayed_acks;	/* ACKs sent by the delayed-ACK timer */
	__u32	atcpi_piggybacked_acks;	/* pending ACKs carried by data or FIN */
	__u32	atcpi_quick_acks;	/* ACKs sent at once */
	__u32	atcpi_dup_acks_in;
	__u32	atcpi_fast_retrans;
	__u32	atcpi_rto_fires;
	__u32	atcpi_zero_window_probes;
};

#endif /* _UAPI_LINUX_ATCP_H */
