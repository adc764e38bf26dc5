/* SPDX-License-Identifier: GPL-2.0 */
/*
 * atcp: internal structures and prototypes.
 *
 * Locking, in one place:
 * - A full socket's protocol state (everything in struct atcp_sock) is
 *   owned by the socket lock: process context holds lock_sock(), softirq
 *   holds bh_lock_sock() and defers to the backlog when the socket is
 *   owned by a process (atcp_v4_rcv), and timers defer to release_cb.
 *   Each function's kernel-doc says, under Context:, which of these its
 *   callers hold; those that every caller calls with the socket owned
 *   check it with sock_owned_by_me() (under lockdep, as the debug kernel
 *   of make check-debug has it).  A listener is the exception: its
 *   segments are handled without its lock, as TCP's are.
 * - A request sock is reached without the listener's lock, as in TCP:
 *   its fields are written once at creation, except ts_recent and the
 *   retransmit counters, which tolerate races.
 * - A TIME_WAIT minisocket is reached through RCU lookups with a
 *   reference; its fields change only under its ehash bucket lock's
 *   protection of the hashdance, or by its own timer.
 */
#ifndef _ATCP_H
#define _ATCP_H

#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/inet_connection_sock.h>
#include <net/inet_timewait_sock.h>
#include <net/inet_hashtables.h>
#include <net/request_sock.h>
#include <net/tcp.h>
#include <net/netns/generic.h>
#include <uapi/linux/atcp.h>

/*
 * The unit tests (module/tests/, atcp_kunit.ko, built only for a kernel
 * with CONFIG_KUNIT) reach the functions they test through these: a
 * function otherwise static to its file is defined ATCP_VISIBLE_FOR_KUNIT
 * and declared at the end of this file, and what the tests call is
 * exported, right after its definition, with EXPORT_SYMBOL_FOR_ATCP_KUNIT()
 * to the ATCP_KUNIT namespace alone (the tests import it).  Without
 * CONFIG_KUNIT, as on Debian's kernels, the module is as if they were not
 * there.
 */
#if IS_ENABLED(CONFIG_KUNIT)
#define ATCP_VISIBLE_FOR_KUNIT
/* Placed right after the definition of sym(), as EXPORT_SYMBOL(). */
#define EXPORT_SYMBOL_FOR_ATCP_KUNIT(sym) EXPORT_SYMBOL_NS_GPL(sym, ATCP_KUNIT)
#else
#define ATCP_VISIBLE_FOR_KUNIT static
/* Without KUnit, sym() is not exported. */
#define EXPORT_SYMBOL_FOR_ATCP_KUNIT(sym)
#endif

extern int atcp_proto_num;
extern struct proto atcp_prot;
extern struct inet_hashinfo atcp_hashinfo;
extern struct request_sock_ops atcp_request_sock_ops;
extern struct timewait_sock_ops atcp_timewait_sock_ops;
extern unsigned int atcp_net_id;

#define ATCP_MAX_HEADER		MAX_TCP_HEADER
#define ATCP_MSS_DEFAULT	536U
#define ATCP_MIN_MSS		88U
#define ATCP_INIT_CWND		10
#define ATCP_TIMEOUT_INIT	HZ		/* RFC 6298 2.1 */
#define ATCP_RTO_MAX		(120 * HZ)
#define ATCP_RTO_MIN		(HZ / 5)
#define ATCP_MAX_QUICKACKS	16U
#define ATCP_MAX_WSCALE		14
#define ATCP_ORPHAN_RETRIES	8
#define ATCP_KEEPALIVE_PROBE_MIN (HZ / 2)
#define ATCP_TS_HZ		1000		/* timestamp clock: ms */
#define ATCP_PROBE_MAX		(120 * HZ)

/*
 * Nagle's bits (tcp_sock's nonagle): in atcp_user_opts.nonagle, what the
 * application set; given to atcp_push(), how this push goes.
 */
#define ATCP_NAGLE_OFF		1	/* TCP_NODELAY */
#define ATCP_NAGLE_PUSH		2	/* send what we have, until the next write */
#define ATCP_NAGLE_CORK		4	/* TCP_CORK, MSG_MORE: hold a part-filled segment */

/*
 * The largest skb a write builds, as TCP's size goal with GSO: 64 KiB less
 * room for the headers (sk_setup_caps's sk_gso_max_size).
 */
#define ATCP_GSO_MAX_SIZE	(GSO_LEGACY_MAX_SIZE - (MAX_TCP_HEADER + 1))

/* The GSO type of atcp's super-segments (offload.c says why this one). */
#define ATCP_GSO_TYPE		SKB_GSO_SCTP

/* Per-network-namespace counters, shown in /proc/net/atcp_stat. */
enum atcp_mib {
	ATCP_MIB_IN_SEGS,
	ATCP_MIB_OUT_SEGS,
	ATCP_MIB_ACTIVE_OPENS,
	ATCP_MIB_PASSIVE_OPENS,
	ATCP_MIB_ATTEMPT_FAILS,
	ATCP_MIB_ESTAB_RESETS,
	ATCP_MIB_OUT_RSTS,
	ATCP_MIB_IN_RSTS,
	ATCP_MIB_RETRANS_SEGS,
	ATCP_MIB_RTO_FIRES,
	ATCP_MIB_FAST_RETRANS,
	ATCP_MIB_SACK_RECOVERY,
	ATCP_MIB_SACKED_SEGS,
	ATCP_MIB_SACK_RENEGING,
	ATCP_MIB_REORDER_SEEN,
	ATCP_MIB_SYN_RETRANS,
	ATCP_MIB_SYNACK_RETRANS,
	ATCP_MIB_DELAYED_ACKS,
	ATCP_MIB_DELAYED_ACK_LOCKED,
	ATCP_MIB_PIGGYBACKED_ACKS,
	ATCP_MIB_QUICK_ACKS,
	ATCP_MIB_CHALLENGE_ACKS,
	ATCP_MIB_OOW_ACKS_SKIPPED,
	ATCP_MIB_LISTEN_OVERFLOWS,
	ATCP_MIB_LISTEN_DROPS,
	ATCP_MIB_REQ_QUEUE_FULL,
	ATCP_MIB_SYN_COOKIES_SENT,
	ATCP_MIB_SYN_COOKIES_OK,
	ATCP_MIB_SYN_COOKIES_BAD,
	ATCP_MIB_TW_CREATED,
	ATCP_MIB_TW_RECYCLED,
	ATCP_MIB_TW_KILLED_BY_RST,
	ATCP_MIB_FIN_WAIT2_TIMEOUTS,
	ATCP_MIB_KEEPALIVE_TIMEOUTS,
	ATCP_MIB_ABORT_ON_DATA,
	ATCP_MIB_ABORT_ON_CLOSE,
	ATCP_MIB_ABORT_ON_LINGER,
	ATCP_MIB_ABORT_ON_TIMEOUT,
	ATCP_MIB_OFO_QUEUED,
	ATCP_MIB_OFO_DROPPED,
	ATCP_MIB_ZERO_WINDOW_PROBES,
	ATCP_MIB_DROP_SHORT,
	ATCP_MIB_DROP_BAD_DOFF,
	ATCP_MIB_DROP_CSUM,
	ATCP_MIB_DROP_BAD_OPTIONS,
	ATCP_MIB_DROP_NO_SOCKET,
	ATCP_MIB_DROP_BAD_FLAGS,
	ATCP_MIB_DROP_OUT_OF_WINDOW,
	ATCP_MIB_DROP_BAD_ACK,
	ATCP_MIB_DROP_BACKLOG,
	ATCP_MIB_DROP_RMEM,
	ATCP_MIB_OOW_ICMPS,
	ATCP_MIB_LOCK_DROPPED_ICMPS,
	ATCP_MIB_PAWS_ESTAB,
	ATCP_MIB_OFO_PRUNED,
	ATCP_MIB_PRUNE_CALLED,
	ATCP_MIB_RCV_PRUNED,
	ATCP_MIB_ABORT_ON_MEMORY,
	ATCP_MIB_MEMORY_PRESSURES,
	ATCP_MIB_DEFER_ACCEPT_DROPS,
	ATCP_MIB_LOST_RETRANSMIT,
	ATCP_MIB_DSACK_RECV,
	ATCP_MIB_DSACK_UNDO,
	ATCP_MIB_FULL_UNDO,
	ATCP_MIB_LOSS_UNDO,
	ATCP_MIB_PARTIAL_UNDO,
	ATCP_MIB_SPURIOUS_RTO,
	ATCP_MIB_LOSS_PROBES,
	ATCP_MIB_LOSS_PROBE_RECOVERY,
	ATCP_MIB_OUT_SUPER_SEGS,
	ATCP_MIB_DELIVERED_CE,
	ATCP_MIB_MAX
};

struct atcp_mib_cpu {
	u64 mibs[ATCP_MIB_MAX];
};

/* Per-netns state: tunables (sysctl.c), the control socket and counters. */
struct atcp_net {
	int fin_timeout;	/* s */
	int tw_timeout;		/* s */
	int delack_min;		/* ms */
	int delack_max;		/* ms */
	int syn_retries;
	int synack_retries;
	int rfc1337;
	int syncookies;		/* 0 off, 1 when the request queue is full, 2 always */
	int keepalive_time;	/* s */
	int keepalive_intvl;	/* s */
	int keepalive_probes;
	int retries2;
	int orphan_retries;
	int rmem[3];		/* bytes: min, default, max, as tcp_rmem */
	int wmem[3];		/* bytes: min, default, max, as tcp_wmem */
	int moderate_rcvbuf;	/* receive-buffer autotuning, as tcp_moderate_rcvbuf */
	unsigned int notsent_lowat;	/* bytes, as tcp_notsent_lowat */
	const struct atcp_cong_ops __rcu *ca_default;	/* for new sockets */
	int challenge_ack_limit;	/* a second, INT_MAX: no limit */
	int invalid_ratelimit;		/* ms between out-of-window ACKs */
	int early_retrans;		/* 3, 4: tail loss probes; 0-2: none */
	int recovery;			/* ATCP_RACK_* bits */
	int dsack;			/* 1: report duplicates (RFC 2883) */
	int ecn;			/* 0 never, 1 ask and accept, 2 accept (RFC 3168) */
	int ecn_fallback;		/* 1: a SYN resent goes without ECN */
	u32 challenge_timestamp;	/* s: the second of the count */
	u32 challenge_count;		/* challenge ACKs left this second */

	struct ctl_table_header *sysctl_hdr;
	struct sock *ctl_sk;
	struct inet_timewait_death_row tw_death_row;
	struct atcp_mib_cpu __percpu *mib;
};

static inline struct atcp_net *atcp_pernet(const struct net *net)
{
	return net_generic(net, atcp_net_id);
}

#define ATCP_INC_STATS(net, field) \
	this_cpu_inc(atcp_pernet(net)->mib->mibs[field])
#define ATCP_ADD_STATS(net, field, val) \
	this_cpu_add(atcp_pernet(net)->mib->mibs[field], val)

/* What a segment carries while it sits in our queues. */
struct atcp_skb_cb {
	__u32 seq;		/* first sequence number */
	__u32 end_seq;		/* seq + SYN + FIN + data length */
	__u32 ack_seq;		/* received: the ACK field */
	__u32 sent;		/* sent: jiffies at last transmission */
	__u8 tcp_flags;		/* TCPHDR_* */
	__u8 retrans;		/* sent: times retransmitted */
	__u8 sacked;		/* sent: ATCP_SACKED_* */
	__u8 header_len;	/* received: doff * 4 */
	__u32 tsval;		/* received: timestamp value */
	__u32 tsecr;		/* received: timestamp echo */
	__u16 window;		/* received: raw window field */
	__u8 has_ts;		/* received: carried a timestamp */
	__u8 sack_off;		/* received: offset of a SACK option, 0: none */
	__u32 tw_isn;		/* received: ISN to use when a SYN reopens a TIME_WAIT tuple */
	__u8 eor;		/* sent: ends a MSG_EOR write: no later data joins it */
	__u8 ip_dsfield;	/* received: the IP header's DS field, ECN bits included */
	__u16 seg_size;		/* sent: as segments of this size, 0: one */
};

#define ATCP_SKB_CB(skb) ((struct atcp_skb_cb *)&((skb)->cb[0]))

/*
 * The segments a sent skb went as (tcp_skb_pcount): a super-segment counts
 * each of its segments wherever the window and the scoreboard count.
 */
static inline u32 atcp_skb_segs(const struct sk_buff *skb)
{
	u32 seg = ATCP_SKB_CB(skb)->seg_size;

	return seg && skb->len > seg ? DIV_ROUND_UP(skb->len, seg) : 1;
}

/* Scoreboard bits of a sent segment (atcp_skb_cb.sacked). */
#define ATCP_SACKED_ACKED	0x1	/* inside a block the peer SACKed */
#define ATCP_SACKED_RETRANS	0x2	/* retransmitted, that copy not known lost */
#define ATCP_SACKED_LOST	0x4	/* taken as lost (RACK, NewReno, an RTO) */

/* What an ACK's SACK blocks said (atcp_sacktag), for loss recovery. */
#define ATCP_ACKF_SACKED		0x1	/* new data SACKed */
#define ATCP_ACKF_ORIG_DELIVERED	0x2	/* data never resent SACKed or ACKed */
#define ATCP_ACKF_DSACK		0x4	/* a D-SACK block */
#define ATCP_ACKF_ECE		0x8	/* ECE on an ECN connection (RFC 3168) */

/* An ECN connection's state (atcp_sock.ecn_flags, as tcp_sock's). */
#define ATCP_ECN_OK		0x1	/* negotiated */
#define ATCP_ECN_QUEUE_CWR	0x2	/* CWR on the next new data segment */
#define ATCP_ECN_DEMAND_CWR	0x4	/* ECE on each segment until a CWR */
#define ATCP_ECN_SEEN		0x8	/* an ECT or CE segment arrived */

/* net.atcp.recovery, as tcp_recovery */
#define ATCP_RACK_LOSS_DETECTION	0x1	/* RACK, else DupThresh SACKs */
#define ATCP_RACK_STATIC_REO_WND	0x2	/* D-SACKs do not widen it */
#define ATCP_RACK_NO_DUPTHRESH		0x4	/* no window cut at DupThresh */

/* RFC 6675 DupThresh */
#define ATCP_DUPTHRESH		3
#define ATCP_MAX_REORDERING	300	/* as net.ipv4.tcp_max_reordering */

/* SACK blocks an ACK reports: 4 fit, 3 next to a timestamp. */
#define ATCP_NUM_SACKS		4

struct atcp_sack_block {
	u32 start;
	u32 end;
};

/* Options to send, laid out as Linux lays them out so captures compare 1:1. */
struct atcp_out_options {
	u16 mss;
	u8 wscale;
	u8 sack_ok:1,
	   ws_ok:1,
	   ts_ok:1;
	u8 num_sacks;
	u32 tsval;
	u32 tsecr;
	const struct atcp_sack_block *sacks;
};

/* Options parsed from a received segment. */
struct atcp_options {
	u16 mss;
	u8 wscale;
	u8 wscale_ok:1,
	   sack_ok:1,
	   ts_ok:1,
	   ecn_ok:1,		/* a SYN cookie's echo granted ECN */
	   bad:1;
	u32 tsval;
	u32 tsecr;
	u8 num_sacks;
	u32 sack[4][2];		/* host order: start, end */
	u8 sack_off;		/* offset of the SACK option from the header */
};

struct atcp_request_sock {
	struct inet_request_sock req;
	/* From here on zeroed by atcp_reqsk_init(), then set as made. */
	u32 rcv_isn;
	u32 snt_isn;
	u32 ts_off;		/* our timestamp clock offset */
	u32 rcv_wnd;		/* the SYN-ACK's offer, whole segments */
	u32 snt_synack_us;	/* first SYN-ACK sent: the handshake RTT */
	u32 window_clamp;	/* the child's bound on its window */
	u32 last_oow_ack_time;	/* jiffies of the last challenge ACK, 0: none */
	u16 peer_window;
	u8 cookie:1;		/* answered with a SYN cookie: no state kept */
};

static inline struct atcp_request_sock *atcp_rsk(const struct request_sock *req)
{
	return (struct atcp_request_sock *)req;
}

struct atcp_timewait_sock {
	struct inet_timewait_sock tw;
	u32 rcv_nxt;
	u32 snd_nxt;
	u32 rcv_wnd;
	u32 ts_recent;
	u32 ts_offset;
	u32 ts_recent_stamp;	/* s, ktime_get_seconds() */
	u32 last_oow_ack_time;	/* jiffies of the last ACK out of window */
	u8 ts_ok;
	u8 rcv_wscale;
};

static inline struct atcp_timewait_sock *atcp_twsk(const struct sock *sk)
{
	return (struct atcp_timewait_sock *)sk;
}

/* Work a timer or an ICMP could not do while a process owned the socket. */
enum atcp_deferred {
	ATCP_RETRANS_DEFERRED,
	ATCP_DELACK_DEFERRED,
	ATCP_MTU_REDUCED_DEFERRED,
};

/* Recovery states, numbered as TCP's (tcp_info's tcpi_ca_state). */
enum atcp_ca_state {
	ATCP_CA_OPEN = TCP_CA_Open,
	ATCP_CA_CWR = TCP_CA_CWR,		/* reducing for an ECE (RFC 3168) */
	ATCP_CA_RECOVERY = TCP_CA_Recovery,	/* fast retransmit, NewReno/SACK */
	ATCP_CA_LOSS = TCP_CA_Loss,		/* after an RTO */
};

/* What a congestion control hears of besides ACKs (cwnd_event). */
enum atcp_ca_event {
	ATCP_CA_EVENT_TX_START,		/* data sent with nothing in flight */
};

#define ATCP_CA_NAME_MAX	TCP_CA_NAME_MAX
#define ATCP_CA_BUF_MAX		(ATCP_CA_NAME_MAX * 16)

/**
 * struct atcp_cong_ops - a congestion control algorithm (cong.c)
 * @list: in the list of algorithms
 * @name: what TCP_CONGESTION and the sysctls call it
 * @owner: its module, held while a socket or a namespace uses it
 * @ssthresh: the slow-start threshold after a loss (required)
 * @cong_avoid: grow cwnd for acked segments, ack the new snd_una (required)
 * @undo_cwnd: cwnd when a reduction turns out spurious (required)
 * @init: a connection is established; its private state is zero
 * @release: the socket goes, or takes another algorithm
 * @set_state: the recovery state changes (enum atcp_ca_state)
 * @cwnd_event: something besides an ACK happened (enum atcp_ca_event)
 * @pkts_acked: acked segments left the queue; rtt_us their RTT, or -1
 *
 * Every hook runs with the socket owned.  Private state, at most
 * sizeof(ca_priv), lives in atcp_sk(sk)->ca_priv.
 */
struct atcp_cong_ops {
	struct list_head list;
	char name[ATCP_CA_NAME_MAX];
	struct module *owner;
	u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, u32 ack, u32 acked);
	u32 (*undo_cwnd)(struct sock *sk);
	void (*init)(struct sock *sk);
	void (*release)(struct sock *sk);
	void (*set_state)(struct sock *sk, u8 new_state);
	void (*cwnd_event)(struct sock *sk, enum atcp_ca_event event);
	void (*pkts_acked)(struct sock *sk, u32 acked, s32 rtt_us);
};

/*
 * What the application set; a child inherits it from its listener.
 * (TCP_USER_TIMEOUT and TCP_DEFER_ACCEPT live where the inet code keeps
 * them: icsk_user_timeout, icsk_accept_queue.rskq_defer_accept.)
 */
struct atcp_user_opts {
	u16 user_mss;		/* TCP_MAXSEG, 0: none */
	u8 nonagle;		/* ATCP_NAGLE_*: TCP_NODELAY, TCP_CORK */
	u8 syn_retries;		/* TCP_SYNCNT, 0: sysctl */
	int keepalive_time;	/* jiffies, 0: sysctl */
	int keepalive_intvl;	/* jiffies, 0: sysctl */
	int keepalive_probes;	/* 0: sysctl */
	int linger2;		/* TCP_LINGER2: <0 abort, 0 sysctl, >0 jiffies */
	u32 notsent_lowat;	/* TCP_NOTSENT_LOWAT, 0: sysctl */
	u8 recvmsg_inq;		/* TCP_INQ: a TCP_CM_INQ cmsg with each read */
};

struct atcp_sock {
	/* inet_connection_sock has to be the first member */
	struct inet_connection_sock icsk;
	struct atcp_user_opts uopt;

	/*
	 * enum atcp_deferred bits, each holding a socket reference that
	 * atcp_release_cb() drops: they outlive a disconnect.
	 */
	unsigned long deferred;
	u32 mtu_info;		/* the path MTU an ICMP reported */
	/* The congestion control, with a reference on its module: it stays
	 * across a disconnect, as TCP's does.
	 */
	const struct atcp_cong_ops *ca_ops;
	/*
	 * The bound on the window we offer: TCP_WINDOW_CLAMP's before a
	 * connection (0: none), then the one in use; a disconnect clears it.
	 */
	u32 window_clamp;

	/*
	 * Connection state: everything from here on is zeroed when a
	 * child is created and when a socket is disconnected.
	 */
	u32 iss;
	u32 snd_una;		/* oldest unacknowledged */
	u32 snd_nxt;		/* next to send */
	u32 snd_max;		/* highest sent + 1 */
	u32 write_seq;		/* end of the data queued by the app */
	u32 pushed_seq;		/* write_seq at the last PSH marked */
	u32 snd_sml;		/* end of the last segment sent short of the MSS */
	u32 snd_wl1;		/* seq of the segment that last updated snd_wnd */
	u32 snd_wl2;		/* ack of that segment */
	u32 snd_wnd;		/* peer's window, bytes */
	u32 max_window;
	u32 mss_cache;		/* current send MSS, payload bytes */
	u16 advmss;		/* MSS we advertise */
	u16 rx_mss_clamp;	/* peer's MSS option */
	u8 snd_wscale;
	u8 rcv_wscale;
	u8 wscale_ok:1,
	   sack_ok:1,
	   ts_ok:1,
	   fin_queued:1,	/* FIN is queued: write_seq counts it */
	   urg_mode:1;		/* snd_up is ahead of snd_una */
	struct sk_buff *send_head;	/* first skb not yet sent */
	u32 snd_up;		/* urgent pointer: the end of the last MSG_OOB write */

	/* Receiving */
	u32 irs;
	u32 rcv_nxt;		/* next expected */
	u32 copied_seq;		/* next byte the app reads */
	/*
	 * The peer's urgent byte (tcp_check_urg): where it is, and
	 * TCP_URG_NOTYET until it arrives, TCP_URG_VALID | the byte until
	 * recv(MSG_OOB) takes it, TCP_URG_READ after; 0: none pending.
	 */
	u32 urg_seq;
	u16 urg_data;
	u32 rcv_wup;		/* rcv_nxt when the window was last advertised */
	u32 rcv_wnd;		/* window last advertised, bytes */
	/*
	 * The window offered grows to the buffer no faster than segments
	 * show they fit in it (tcp_grow_window): its present bound.
	 */
	u32 rcv_ssthresh;
	struct rb_root ofo_root;	/* out of order, by seq (ofo.c) */
	/* The blocks of ofo_root to report, the latest arrival's first. */
	struct atcp_sack_block selective_acks[ATCP_NUM_SACKS];
	u8 num_sacks;
	/* RFC 2883: data that came twice, for the next ACK's first block. */
	u8 dsack;
	struct atcp_sack_block duplicate_sack;
	/*
	 * Receive-buffer autotuning (tcp_rcv_space_adjust): the receiver's
	 * RTT, and what the application read in the last one.  Times are
	 * tcp_clock_us(), truncated.
	 */
	u32 rcv_rtt_us;		/* RTT << 3, 0: none measured yet */
	u32 rcv_rtt_seq;	/* a window's sample ends when rcv_nxt passes it */
	u32 rcv_rtt_time;	/* its start, 0: none */
	u32 rcv_rtt_last_tsecr;	/* the last echo a sample was taken from */
	u32 rcvq_space;		/* bytes read in the last measured RTT */
	u32 rcvq_seq;		/* copied_seq when this RTT began */
	u32 rcvq_time;		/* when it began */

	/* Timestamps (RFC 7323) */
	u32 ts_recent;
	u32 ts_recent_stamp;	/* s, ktime_get_seconds(); 0: none yet */
	u32 ts_offset;
	u32 synq_overflow_stamp;	/* a listener's last SYN cookie, jiffies */

	/* RTT and retransmission (RFC 6298) */
	u32 srtt_us;		/* smoothed RTT << 3 */
	u32 mdev_us;		/* mean deviation << 2 */
	u32 rttvar_us;
	u32 rtt_last_us;
	u32 retrans_stamp;	/* jiffies of first retransmission */
	u32 high_seq;		/* snd_max when recovery started */
	u32 dup_acks;
	u8 ca_state;
	u32 sacked_out;		/* segments the peer SACKed */
	u32 lost_marked;	/* segments taken as lost (ATCP_SACKED_LOST) */
	u32 highest_sack;	/* end of the highest SACKed segment */
	u32 reordering;		/* segments: the DupThresh in use */
	u32 reord_seen;		/* reorderings seen */
	u32 delivered;		/* segments SACKed or ACKed, ever */
	u32 min_rtt_us;		/* least RTT of the last five minutes */
	u32 min_rtt_stamp;	/* jiffies it was taken */

	/* RACK (RFC 8985): the latest sent of what was delivered */
	u32 rack_mstamp;	/* its send time, tcp_clock_us() */
	u32 rack_end_seq;
	u32 rack_rtt_us;	/* the RTT it took */
	u32 rack_last_delivered; /* delivered when reo_wnd last grew */
	u8 rack_advanced;	/* something was delivered since the last look */
	u8 rack_reo_wnd_steps;	/* the reordering window, min_rtt/4 each */
	u8 rack_reo_wnd_persist; /* recoveries a widened window lasts */

	/* TLP (RFC 8985 7) */
	u32 tlp_high_seq;	/* snd_nxt when the probe went, 0: none out */
	u8 tlp_retrans;		/* the probe resent data */

	/* F-RTO (RFC 5682) after an RTO */
	u8 frto;
	u8 frto_new_data;	/* send new data before more retransmissions */
	u8 rexmit_hold;		/* the next push resends nothing (reordering) */

	/* PRR (RFC 6937) */
	u32 prr_delivered;	/* segments delivered in this recovery */
	u32 prr_out;		/* segments sent in it */

	/* Undo of a spurious reduction (RFC 2883/3708 DSACK, RFC 3522 Eifel) */
	u32 undo_marker;	/* snd_una when the episode began, 0: none */
	int undo_retrans;	/* retransmissions not yet DSACKed, -1: none */
	u32 prior_ssthresh;
	u32 retrans_ts;		/* our TSval clock at the first one, 0: none */

	/* Congestion control: the window, and the algorithm's own state */
	u32 snd_cwnd;
	u32 snd_cwnd_cnt;
	u32 snd_ssthresh;
	u32 prior_cwnd;
	u32 max_packets_out;	/* segments in flight at most, this window */
	u32 cwnd_usage_seq;	/* snd_nxt when that window began */
	u8 is_cwnd_limited;	/* the window held the sender back in it */
	u8 ecn_flags;		/* ATCP_ECN_* */
	u64 ca_priv[13];

	u32 rcv_tstamp;		/* jiffies of last received segment */
	u32 last_oow_ack_time;	/* jiffies of the last out-of-window ACK, 0: none */
	u32 lsndtime;		/* jiffies of last sent data */

	/* Counters for ATCP_INFO */
	u64 bytes_sent;
	u64 bytes_acked;
	u64 bytes_received;
	u32 segs_out;
	u32 segs_in;
	u32 total_retrans;
	u32 delayed_acks;
	u32 piggybacked_acks;
	u32 quick_acks;
	u32 dup_acks_in;
	u32 fast_retrans;
	u32 rto_fires;
	u32 zwp_sent;
};

static inline struct atcp_sock *atcp_sk(const struct sock *sk)
{
	return (struct atcp_sock *)sk;
}

/*
 * A connection's state as before its first segment: all zero but for
 * these, whether the socket is new, a child of a listener, or
 * disconnected for another connect().
 */
static inline void atcp_clear_connection(struct atcp_sock *ap)
{
	size_t start = offsetof(struct atcp_sock, iss);

	memset((char *)ap + start, 0, sizeof(*ap) - start);
	ap->ofo_root = RB_ROOT;
	ap->mss_cache = ATCP_MSS_DEFAULT;
	ap->snd_cwnd = ATCP_INIT_CWND;
	ap->snd_ssthresh = INT_MAX;
	ap->reordering = ATCP_DUPTHRESH;
	ap->mdev_us = jiffies_to_usecs(ATCP_TIMEOUT_INIT);
}

static inline struct atcp_net *atcp_sk_net(const struct sock *sk)
{
	return atcp_pernet(sock_net(sk));
}

static inline u32 atcp_ts_now(void)
{
	return jiffies_to_msecs(jiffies);
}

/*
 * The window a receive buffer of @space bytes offers: half of it, the rest
 * paying for the skbs around the bytes (tcp_win_from_space, with Linux's
 * default tcp_adv_win_scale of 1).
 */
static inline int atcp_win_from_space(int space)
{
	return space - (space >> 1);
}

/* The window the free receive buffer offers now (tcp_space). */
static inline int atcp_space(const struct sock *sk)
{
	return atcp_win_from_space(READ_ONCE(sk->sk_rcvbuf) -
				   READ_ONCE(sk->sk_backlog.len) -
				   atomic_read(&sk->sk_rmem_alloc));
}

/* The window the whole receive buffer offers (tcp_full_space). */
static inline int atcp_full_space(const struct sock *sk)
{
	return atcp_win_from_space(READ_ONCE(sk->sk_rcvbuf));
}

static inline u32 atcp_flight(const struct atcp_sock *ap)
{
	return ap->snd_nxt - ap->snd_una;
}

/*
 * No more than half the peer's largest window (all of it while that is
 * below 536 bytes), so that a small window still takes whole segments
 * (tcp_bound_to_half_wnd).
 */
static inline int atcp_bound_to_half_wnd(const struct atcp_sock *ap, int pktsize)
{
	u32 cutoff = ap->max_window;

	if (cutoff > ATCP_MSS_DEFAULT)
		cutoff >>= 1;
	if (cutoff && pktsize > cutoff)
		return max_t(int, cutoff, 68 - sizeof(struct tcphdr) -
				  (ap->ts_ok ? TCPOLEN_TSTAMP_ALIGNED : 0));
	return pktsize;
}

/* RFC 6298 2.3: the RTO before any backoff, SRTT + max(G, 4 * RTTVAR). */
static inline u32 atcp_rto_from_rtt(const struct atcp_sock *ap)
{
	if (!ap->srtt_us)
		return ATCP_TIMEOUT_INIT;
	return min_t(u32, usecs_to_jiffies((ap->srtt_us >> 3) + ap->rttvar_us),
		     ATCP_RTO_MAX);
}

/* The probe timer's first wait: the RTO, at least rto_min (tcp_probe0_base). */
static inline u32 atcp_probe0_base(const struct sock *sk)
{
	return max_t(u32, inet_csk(sk)->icsk_rto, ATCP_RTO_MIN);
}

/*
 * The probe timer's wait, backed off (tcp_probe0_when), and no longer
 * than what TCP_USER_TIMEOUT leaves since the first unanswered probe
 * (tcp_clamp_probe0_to_user_timeout).
 */
static inline u32 atcp_probe0_when(const struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	u64 when = (u64)atcp_probe0_base(sk) << icsk->icsk_backoff;
	u32 user_timeout = READ_ONCE(icsk->icsk_user_timeout);
	u32 remaining;
	s32 elapsed;

	when = min_t(u64, when, ATCP_PROBE_MAX);
	if (!user_timeout || !icsk->icsk_probes_tstamp)
		return when;
	elapsed = tcp_jiffies32 - icsk->icsk_probes_tstamp;
	if (unlikely(elapsed < 0))
		elapsed = 0;
	remaining = msecs_to_jiffies(user_timeout) - elapsed;
	remaining = max_t(u32, remaining, TCP_TIMEOUT_MIN);
	return min_t(u32, remaining, when);
}

/*
 * TCP_USER_TIMEOUT has passed since the first retransmission, or the
 * first SYN (retransmits_timed_out with a user timeout).
 */
static inline bool atcp_user_timeout_expired(const struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	u32 user_timeout = READ_ONCE(icsk->icsk_user_timeout);
	u32 elapsed;

	if (!user_timeout || !icsk->icsk_retransmits)
		return false;
	elapsed = jiffies_to_msecs(tcp_jiffies32 - atcp_sk(sk)->retrans_stamp);
	return elapsed >= user_timeout;
}

/*
 * The retransmission timer's wait, no longer than what TCP_USER_TIMEOUT
 * leaves (tcp_clamp_rto_to_user_timeout).
 */
static inline u32 atcp_clamp_rto_to_user_timeout(const struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	u32 user_timeout = READ_ONCE(icsk->icsk_user_timeout);
	s32 remaining;

	if (!user_timeout)
		return icsk->icsk_rto;
	remaining = user_timeout -
		    jiffies_to_msecs(tcp_jiffies32 - atcp_sk(sk)->retrans_stamp);
	if (remaining <= 0)
		return 1;
	return min_t(u32, icsk->icsk_rto, msecs_to_jiffies(remaining));
}

/* RFC 7323 section 5 (PAWS): how long a ts_recent holds, in s, ... */
#define ATCP_PAWS_24DAYS	(60 * 60 * 24 * 24)
#define ATCP_PAWS_MSL		60	/* ... against a RST */
#define ATCP_PAWS_WINDOW	1	/* ticks of reordering allowed */

/*
 * RFC 7323 section 5 (PAWS): is tsval no older than ts_recent, give or
 * take paws_win?  A ts_recent kept more than 24 days, or 0 (some stacks
 * send 0 on the SYN), proves nothing (tcp_paws_check).
 */
static inline bool atcp_paws_check(u32 ts_recent, u32 ts_recent_stamp,
				   u32 tsval, int paws_win)
{
	if ((s32)(ts_recent - tsval) <= paws_win)
		return true;
	if (!time_before32(ktime_get_seconds(),
			   ts_recent_stamp + ATCP_PAWS_24DAYS))
		return true;
	return !ts_recent;
}

/*
 * A segment PAWS rejects; a RST only while ts_recent is younger than an
 * MSL, since a peer that rebooted may restart its clock (tcp_paws_reject).
 */
static inline bool atcp_paws_reject(u32 ts_recent, u32 ts_recent_stamp,
				    u32 tsval, bool rst)
{
	if (atcp_paws_check(ts_recent, ts_recent_stamp, tsval, 0))
		return false;
	return !rst || time_before32(ktime_get_seconds(),
				     ts_recent_stamp + ATCP_PAWS_MSL);
}

/**
 * enum atcp_verdict - what is left to do with a received segment
 * @ATCP_SEG_CONSUMED: the receive path queued or freed the skb; the caller
 *	must not touch it again.
 * @ATCP_SEG_DROP: the segment is not acceptable and is answered with
 *	nothing; the caller frees it.
 * @ATCP_SEG_RESET: the segment is answered with a RST (RFC 9293 3.10.7);
 *	the caller sends it (atcp_v4_send_reset()) and frees the skb.
 *
 * Returned by atcp_rcv_state_process(), atcp_child_process() and, inside
 * input.c, the per-state steps, where TCP's functions return 0, -1 or 1.
 */
enum atcp_verdict {
	ATCP_SEG_CONSUMED,
	ATCP_SEG_DROP,
	ATCP_SEG_RESET,
};

/* Why an ACK went out when it did, or why it waits (tracepoint atcp_ack). */
enum atcp_ack_reason {
	ATCP_ACK_QUICK,
	ATCP_ACK_TWO_FULL,
	ATCP_ACK_OFO,
	ATCP_ACK_HOLE_FILLED,
	ATCP_ACK_NOW_FLAG,
	ATCP_ACK_DUP,
	ATCP_ACK_CHALLENGE,
	ATCP_ACK_STATE,
	ATCP_ACK_DELAYED,
	ATCP_ACK_TIMER,
	ATCP_ACK_PIGGYBACK,
	ATCP_ACK_TIMER_DUE,	/* a new delay would outlast the armed timer */
	ATCP_ACK_AFTER_READ,	/* held for the application's read */
	ATCP_ACK_WINDOW_UPDATE,	/* a read opened the window */
	ATCP_ACK_QUICKACK_SET,	/* setsockopt(TCP_QUICKACK) */
};

/* Which timer fired (tracepoint atcp_timer). */
enum atcp_timer_kind {
	ATCP_TIMER_RETRANS,
	ATCP_TIMER_PROBE,
	ATCP_TIMER_DELACK,
	ATCP_TIMER_KEEPALIVE,
	ATCP_TIMER_FIN_WAIT2,
};

/* What happened to a TIME_WAIT minisocket, for the atcp_timewait event. */
enum atcp_timewait_event {
	ATCP_TW_START,
	ATCP_TW_RESTART,
	ATCP_TW_END,
};

/* main.c */
void atcp_set_state(struct sock *sk, int state);
void atcp_done(struct sock *sk);
void atcp_done_with_error(struct sock *sk, int err);
void atcp_write_queue_purge(struct sock *sk);
void atcp_purge_queues(struct sock *sk);
bool atcp_check_oom(struct sock *sk, int shift);

/* ipv4.c */
extern const struct inet_connection_sock_af_ops atcp_ipv4_af_ops;
int atcp_v4_rcv(struct sk_buff *skb);
int atcp_v4_err(struct sk_buff *skb, u32 info);
void atcp_v4_mtu_reduced(struct sock *sk);
int atcp_v4_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len);
u32 atcp_init_isn(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport);
int atcp_v4_send_synack(const struct sock *sk, struct request_sock *req,
			struct dst_entry *dst);
u32 atcp_synack_mss(const struct sock *sk, const struct dst_entry *dst);
void atcp_v4_send_reset(const struct sock *sk, struct sk_buff *skb);
void atcp_v4_send_reply(struct net *net, struct sk_buff *skb, u32 seq,
			u32 ack, u32 win, u32 tsval, u32 tsecr, u8 flags);

/* offload.c */
int atcp_offload_init(void);
void atcp_offload_exit(void);
void atcp_setup_caps(struct sock *sk, struct dst_entry *dst);
bool atcp_csum_offload(const struct sock *sk);

/* input.c */
int atcp_v4_do_rcv(struct sock *sk, struct sk_buff *skb);
enum atcp_verdict atcp_rcv_state_process(struct sock *sk, struct sk_buff *skb);
void atcp_parse_options(const struct sk_buff *skb, const struct tcphdr *th,
			struct atcp_options *opt);
bool atcp_oow_rate_limited_at(struct net *net, u32 *last_oow_ack_time);
bool atcp_challenge_ack_allowed(struct net *net);
void atcp_enter_quickack_mode(struct sock *sk, unsigned int max_quickacks);
void atcp_cleanup_rbuf(struct sock *sk, int copied);
ssize_t atcp_splice_read(struct socket *sock, loff_t *ppos,
			 struct pipe_inode_info *pipe, size_t len,
			 unsigned int flags);
void atcp_init_transfer(struct sock *sk);
void atcp_init_buffer_space(struct sock *sk);
void atcp_rcv_space_adjust(struct sock *sk);
void atcp_grow_window(struct sock *sk, const struct sk_buff *skb, bool adjust);
void atcp_clamp_window(struct sock *sk);
void atcp_rtt_sample(struct sock *sk, long rtt_us);
void atcp_reset(struct sock *sk);
void atcp_fin_wait2_arm(struct sock *sk);
void atcp_queue_rcv(struct sock *sk, struct sk_buff *skb);
bool atcp_rmem_full(const struct sock *sk, const struct sk_buff *skb);

/* ofo.c */
bool atcp_try_coalesce(struct sock *sk, struct sk_buff *to,
		       struct sk_buff *from, bool *fragstolen);
void atcp_ofo_queue(struct sock *sk, struct sk_buff *skb);
void atcp_ofo_drain(struct sock *sk);
void atcp_ofo_purge(struct sock *sk);
void atcp_sack_remove(struct atcp_sock *ap);
void atcp_dsack_set(struct sock *sk, u32 seq, u32 end_seq);
int atcp_try_rmem_schedule(struct sock *sk, struct sk_buff *skb);

/* recovery.c */
void atcp_update_min_rtt(struct atcp_sock *ap, u32 rtt_us);
void atcp_rack_advance(struct sock *sk, const struct sk_buff *skb, u32 segs);
void atcp_check_reordering(struct sock *sk, u32 low_seq);
unsigned int atcp_sacktag(struct sock *sk, const struct sk_buff *skb, u32 ack);
void atcp_recovery_ack(struct sock *sk, u32 prior_una, u32 ack,
		       u32 prior_delivered, u32 acked_segs, u32 tsecr,
		       unsigned int flags);
void atcp_rack_reo_timeout(struct sock *sk);
bool atcp_schedule_loss_probe(struct sock *sk);
void atcp_send_loss_probe(struct sock *sk);
void atcp_enter_loss(struct sock *sk);
void atcp_mark_oversized_lost(struct sock *sk);
u32 atcp_in_flight(struct sock *sk);
void atcp_xmit_retransmit_queue(struct sock *sk, u32 mss, u32 *in_flight);

void atcp_enter_cwr(struct sock *sk);

/* In CWR or Recovery, the window comes down by PRR (tcp_in_cwnd_reduction). */
static inline bool atcp_in_cwnd_reduction(const struct atcp_sock *ap)
{
	return ap->ca_state == ATCP_CA_CWR || ap->ca_state == ATCP_CA_RECOVERY;
}

/* ecn.c */
void atcp_ecn_send_syn(struct sock *sk, struct sk_buff *skb);
void atcp_ecn_clear_syn(struct sock *sk, struct sk_buff *skb);
void atcp_ecn_send(struct sock *sk, struct sk_buff *skb, struct tcphdr *th);
void atcp_ecn_check_ce(struct sock *sk, const struct sk_buff *skb);
void atcp_ecn_accept_cwr(struct sock *sk, const struct sk_buff *skb);
void atcp_ecn_rcv_synack(struct sock *sk, const struct tcphdr *th);
void atcp_ecn_create_request(const struct sock *sk, struct request_sock *req,
			     const struct sk_buff *skb,
			     const struct dst_entry *dst);

/* cong.c */
extern struct atcp_cong_ops atcp_reno;
int atcp_register_congestion_control(struct atcp_cong_ops *ops);
void atcp_unregister_congestion_control(struct atcp_cong_ops *ops);
u32 atcp_slow_start(struct atcp_sock *ap, u32 acked);
void atcp_cong_avoid_ai(struct atcp_sock *ap, u32 w, u32 acked);
u32 atcp_reno_ssthresh(struct sock *sk);
void atcp_reno_cong_avoid(struct sock *sk, u32 ack, u32 acked);
u32 atcp_reno_undo_cwnd(struct sock *sk);
u32 atcp_init_cwnd(const struct sock *sk);
void atcp_set_ca_state(struct sock *sk, u8 state);
void atcp_cong_init(struct sock *sk);
void atcp_cong_sock_init(struct sock *sk);
void atcp_cong_clone(struct sock *newsk);
void atcp_cong_release(struct sock *sk);
int atcp_cong_set(struct sock *sk, const char *name);
int atcp_cong_set_default(struct atcp_net *an, const char *name);
void atcp_cong_net_exit(struct atcp_net *an);
void atcp_cong_default_name(struct atcp_net *an, char *buf);
void atcp_cong_available(char *buf, size_t len);
int atcp_cong_init_module(void);
void atcp_cong_exit_module(void);

/*
 * The window is what limits the sender: it filled it lately, or in slow
 * start has used half of it (tcp_is_cwnd_limited).  Algorithms grow the
 * window only then, so that an application-limited flow does not earn a
 * window it never tried.
 */
static inline bool atcp_is_cwnd_limited(const struct atcp_sock *ap)
{
	if (ap->is_cwnd_limited)
		return true;
	if (ap->snd_cwnd < ap->snd_ssthresh)
		return ap->snd_cwnd < 2 * ap->max_packets_out;
	return false;
}

static inline void atcp_cong_avoid(struct sock *sk, u32 ack, u32 acked)
{
	atcp_sk(sk)->ca_ops->cong_avoid(sk, ack, acked);
}

static inline void atcp_ca_event(struct sock *sk, enum atcp_ca_event event)
{
	const struct atcp_cong_ops *ops = atcp_sk(sk)->ca_ops;

	if (ops->cwnd_event)
		ops->cwnd_event(sk, event);
}

/* cubic.c */
u32 atcp_cubic_target(u32 origin, u32 k, u32 t);
u32 atcp_cubic_k(u32 w_max, u32 cwnd);
int atcp_cubic_register(void);
void atcp_cubic_unregister(void);

/* output.c */
struct tcphdr *atcp_push_header(struct sk_buff *skb, __be16 sport,
				__be16 dport, u32 seq, u32 ack, u8 flags,
				u16 window, const struct atcp_out_options *o);
void atcp_csum(struct sk_buff *skb, struct tcphdr *th, __be32 saddr,
	       __be32 daddr, bool offload);
int atcp_transmit_skb(struct sock *sk, struct sk_buff *skb, gfp_t gfp);
void atcp_push(struct sock *sk, int nonagle);

/* Send what the socket's own Nagle and cork allow (tcp_push_pending_frames). */
static inline void atcp_push_pending_frames(struct sock *sk)
{
	atcp_push(sk, atcp_sk(sk)->uopt.nonagle);
}

void atcp_send_ack(struct sock *sk);
void atcp_send_delayed_ack(struct sock *sk);
void atcp_send_fin(struct sock *sk);
void atcp_send_active_reset(struct sock *sk, gfp_t gfp);
int atcp_connect(struct sock *sk);
int atcp_send_synack(struct sock *sk);
int atcp_fragment(struct sock *sk, struct sk_buff *skb, u32 len);
int atcp_trim_head(struct sock *sk, struct sk_buff *skb, u32 len);
int atcp_retransmit_skb(struct sock *sk, struct sk_buff *skb);
int atcp_send_probe(struct sock *sk, bool zero_window);
void atcp_write_xmit_probe(struct sock *sk);
bool atcp_write_wakeup(struct sock *sk);
u32 atcp_select_window(struct sock *sk);
u32 atcp_free_window(struct sock *sk);
u32 atcp_current_mss(struct sock *sk);
unsigned int atcp_sync_mss(struct sock *sk, u32 pmtu);
void atcp_init_rcv_wnd(struct sock *sk);
u8 atcp_select_wscale(u32 space, u32 rmem_max, u32 clamp);
u32 atcp_initial_window(u32 space, u32 mss, bool ts_ok);
void atcp_openreq_init_rwnd(struct request_sock *req, u32 mss);
void atcp_adjust_rcv_ssthresh(struct sock *sk, u32 bound);
u32 atcp_rmem_max(const struct sock *sk);
u32 atcp_initial_clamp(const struct sock *sk, u32 clamp, u32 full_space);
void atcp_check_space(struct sock *sk);
void atcp_sndbuf_expand(struct sock *sk);
void atcp_wmem_free_skb(struct sock *sk, struct sk_buff *skb);
struct sk_buff *atcp_stream_alloc_skb(struct sock *sk, gfp_t gfp, bool force);
int atcp_wmem_schedule(struct sock *sk, int copy);
void atcp_entail(struct sock *sk, struct sk_buff *skb);

/* timer.c */
void atcp_init_xmit_timers(struct sock *sk);
void atcp_reset_rto(struct sock *sk);
void atcp_rto_revert(struct sock *sk, u32 seq);
void atcp_release_cb(struct sock *sk);
void atcp_set_keepalive(struct sock *sk, int val);
void atcp_reset_keepalive(struct sock *sk);
u32 atcp_keepalive_time(const struct atcp_sock *ap);
u32 atcp_keepalive_intvl(const struct atcp_sock *ap);
u32 atcp_keepalive_probes(const struct atcp_sock *ap);
u32 atcp_fin_timeout(const struct sock *sk);

/* minisocks.c */
void atcp_reqsk_init(const struct sock *sk, struct request_sock *req,
		     struct sk_buff *skb, const struct atcp_options *opt);
int atcp_v4_conn_request(struct sock *sk, struct sk_buff *skb);
struct sock *atcp_check_req(struct sock *sk, struct sk_buff *skb,
			    struct request_sock *req);
enum atcp_verdict atcp_child_process(struct sock *parent,
				     struct sock *child, struct sk_buff *skb);
struct sock *atcp_v4_syn_recv_sock(const struct sock *sk, struct sk_buff *skb,
				   struct request_sock *req,
				   struct dst_entry *dst,
				   struct request_sock *req_unhash,
				   bool *own_req);
void atcp_time_wait(struct sock *sk, int state, int timeo);
enum tcp_tw_status atcp_timewait_state_process(struct inet_timewait_sock *tw,
					       struct sk_buff *skb);

/* syncookies.c */
bool atcp_want_cookie(const struct sock *sk);
void atcp_synq_init(struct sock *sk);
u32 atcp_cookie_isn(struct sock *sk, const struct sk_buff *skb, u16 *mss);
u32 atcp_cookie_ts_off(const struct sk_buff *skb);
u32 atcp_cookie_tsval(const struct request_sock *req);
struct sock *atcp_cookie_check(struct sock *sk, struct sk_buff *skb);

/* socket.c */
const struct proto_ops *atcp_stream_ops_pick(void);
int atcp_disconnect(struct sock *sk, int flags);
void atcp_close(struct sock *sk, long timeout);
void atcp_shutdown(struct sock *sk, int how);
int atcp_ioctl(struct sock *sk, int cmd, int *answ);
int atcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t size);
int atcp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags,
		 int *addr_len);
int atcp_setsockopt(struct sock *sk, int level, int optname,
		    sockptr_t optval, unsigned int optlen);
int atcp_getsockopt(struct sock *sk, int level, int optname,
		    char __user *optval, int __user *optlen);
bool atcp_stream_memory_free(const struct sock *sk, int wake);

/* sysctl.c */
extern long atcp_sysctl_mem[3];
extern int atcp_sysctl_max_orphans;
extern int atcp_sysctl_wmem[3];
extern int atcp_sysctl_rmem[3];
void atcp_sysctl_limits_init(unsigned long ehash_size);
int atcp_sysctl_init(void);
void atcp_sysctl_exit(void);
int atcp_sysctl_net_init(struct net *net);
void atcp_sysctl_net_exit(struct net *net);
void atcp_sysctl_defaults(struct atcp_net *an);
int atcp_sysctl_congestion_control(void *data, int write, void *buffer,
				   size_t *lenp, loff_t *ppos);
int atcp_sysctl_available_cc(int write, void *buffer, size_t *lenp,
			     loff_t *ppos);

/* proc.c */
int atcp_proc_net_init(struct net *net);
void atcp_proc_net_exit(struct net *net);

#if IS_ENABLED(CONFIG_KUNIT)
/* Static to their files but for the unit tests (ATCP_VISIBLE_FOR_KUNIT). */
bool atcp_sequence_ok(const struct atcp_sock *ap, u32 seq, u32 end_seq);
void atcp_event_data_recv(struct sock *sk, struct sk_buff *skb);
bool atcp_in_window(u32 seq, u32 end_seq, u32 s_win, u32 e_win);
void atcp_cookie_decode_options(const struct sk_buff *skb,
				struct atcp_options *opt);
u16 atcp_cookie_check_isn(const struct sk_buff *skb);
u32 atcp_rack_reo_wnd(const struct sock *sk);
u32 atcp_sack_dupthresh_mark_lost(struct sock *sk);
#endif

#include "compat.h"

#endif /* _ATCP_H */
