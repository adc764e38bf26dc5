/* SPDX-License-Identifier: GPL-2.0 */
/*
 * atcp tracepoints: state changes, ACK decisions and timer fires.
 * Visible under /sys/kernel/tracing/events/atcp/.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM atcp

#if !defined(_ATCP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _ATCP_TRACE_H

#include <linux/tracepoint.h>
#include <net/sock.h>
#include <net/inet_sock.h>

/* Why an ACK went out when it did, or why it waits. */
#define ATCP_ACK_REASONS					\
	EM(ATCP_ACK_QUICK,	"quickack")			\
	EM(ATCP_ACK_TWO_FULL,	"two_full_segments")		\
	EM(ATCP_ACK_OFO,	"out_of_order")			\
	EM(ATCP_ACK_HOLE_FILLED, "hole_filled")			\
	EM(ATCP_ACK_NOW_FLAG,	"ack_now")			\
	EM(ATCP_ACK_USER_QUICKACK, "user_quickack")		\
	EM(ATCP_ACK_WINDOW_UPDATE, "window_update")		\
	EM(ATCP_ACK_DUP,	"dup_or_out_of_window")		\
	EM(ATCP_ACK_CHALLENGE,	"challenge")			\
	EM(ATCP_ACK_STATE,	"state_change")			\
	EM(ATCP_ACK_DELAYED,	"delayed")			\
	EM(ATCP_ACK_TIMER,	"delack_timer")			\
	EMe(ATCP_ACK_PIGGYBACK,	"piggybacked")

#define ATCP_TIMERS						\
	EM(ATCP_TIMER_RETRANS,	"retransmit")			\
	EM(ATCP_TIMER_PROBE,	"zero_window_probe")		\
	EM(ATCP_TIMER_DELACK,	"delack")			\
	EM(ATCP_TIMER_KEEPALIVE, "keepalive")			\
	EMe(ATCP_TIMER_FIN_WAIT2, "fin_wait2")

#undef EM
#undef EMe
#define EM(a, b)	a,
#define EMe(a, b)	a

#ifndef _ATCP_TRACE_ENUMS
#define _ATCP_TRACE_ENUMS
enum atcp_ack_reason { ATCP_ACK_REASONS };
enum atcp_timer_kind { ATCP_TIMERS };
#endif

#undef EM
#undef EMe
#define EM(a, b)	TRACE_DEFINE_ENUM(a);
#define EMe(a, b)	TRACE_DEFINE_ENUM(a);

ATCP_ACK_REASONS
ATCP_TIMERS

#undef EM
#undef EMe
#define EM(a, b)	{ a, b },
#define EMe(a, b)	{ a, b }

#define atcp_show_state(s)					\
	__print_symbolic(s,					\
		{ TCP_ESTABLISHED, "ESTABLISHED" },		\
		{ TCP_SYN_SENT, "SYN_SENT" },			\
		{ TCP_SYN_RECV, "SYN_RECV" },			\
		{ TCP_FIN_WAIT1, "FIN_WAIT1" },			\
		{ TCP_FIN_WAIT2, "FIN_WAIT2" },			\
		{ TCP_TIME_WAIT, "TIME_WAIT" },			\
		{ TCP_CLOSE, "CLOSE" },				\
		{ TCP_CLOSE_WAIT, "CLOSE_WAIT" },		\
		{ TCP_LAST_ACK, "LAST_ACK" },			\
		{ TCP_LISTEN, "LISTEN" },			\
		{ TCP_CLOSING, "CLOSING" },			\
		{ TCP_NEW_SYN_RECV, "NEW_SYN_RECV" })

DECLARE_EVENT_CLASS(atcp_sock_class,
	TP_PROTO(const struct sock *sk),
	TP_ARGS(sk),
	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(__u16, sport)
		__field(__u16, dport)
		__array(__u8, saddr, 4)
		__array(__u8, daddr, 4)
	),
	TP_fast_assign(
		const struct inet_sock *inet = inet_sk(sk);

		__entry->skaddr = sk;
		__entry->sport = ntohs(inet->inet_sport);
		__entry->dport = ntohs(inet->inet_dport);
		memcpy(__entry->saddr, &inet->inet_saddr, 4);
		memcpy(__entry->daddr, &inet->inet_daddr, 4);
	),
	TP_printk("%pI4:%u -> %pI4:%u", __entry->saddr, __entry->sport,
		  __entry->daddr, __entry->dport)
);

TRACE_EVENT(atcp_state,
	TP_PROTO(const struct sock *sk, int oldstate, int newstate),
	TP_ARGS(sk, oldstate, newstate),
	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(__u16, sport)
		__field(__u16, dport)
		__array(__u8, saddr, 4)
		__array(__u8, daddr, 4)
		__field(int, oldstate)
		__field(int, newstate)
	),
	TP_fast_assign(
		const struct inet_sock *inet = inet_sk(sk);

		__entry->skaddr = sk;
		__entry->sport = ntohs(inet->inet_sport);
		__entry->dport = ntohs(inet->inet_dport);
		memcpy(__entry->saddr, &inet->inet_saddr, 4);
		memcpy(__entry->daddr, &inet->inet_daddr, 4);
		__entry->oldstate = oldstate;
		__entry->newstate = newstate;
	),
	TP_printk("%pI4:%u -> %pI4:%u %s -> %s",
		  __entry->saddr, __entry->sport,
		  __entry->daddr, __entry->dport,
		  atcp_show_state(__entry->oldstate),
		  atcp_show_state(__entry->newstate))
);

TRACE_EVENT(atcp_ack,
	TP_PROTO(const struct sock *sk, u32 ack, int reason, u32 delay_ms),
	TP_ARGS(sk, ack, reason, delay_ms),
	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(__u32, ack)
		__field(int, reason)
		__field(__u32, delay_ms)
	),
	TP_fast_assign(
		const struct inet_sock *inet = inet_sk(sk);

		__entry->skaddr = sk;
		__entry->sport = ntohs(inet->inet_sport);
		__entry->dport = ntohs(inet->inet_dport);
		__entry->ack = ack;
		__entry->reason = reason;
		__entry->delay_ms = delay_ms;
	),
	TP_printk("sport=%u dport=%u ack=%u %s delay_ms=%u",
		  __entry->sport, __entry->dport, __entry->ack,
		  __print_symbolic(__entry->reason, ATCP_ACK_REASONS),
		  __entry->delay_ms)
);

TRACE_EVENT(atcp_timer,
	TP_PROTO(const struct sock *sk, int timer, int state),
	TP_ARGS(sk, timer, state),
	TP_STRUCT__entry(
		__field(const void *, skaddr)
		__field(__u16, sport)
		__field(__u16, dport)
		__field(int, timer)
		__field(int, state)
	),
	TP_fast_assign(
		const struct inet_sock *inet = inet_sk(sk);

		__entry->skaddr = sk;
		__entry->sport = ntohs(inet->inet_sport);
		__entry->dport = ntohs(inet->inet_dport);
		__entry->timer = timer;
		__entry->state = state;
	),
	TP_printk("sport=%u dport=%u timer=%s state=%s",
		  __entry->sport, __entry->dport,
		  __print_symbolic(__entry->timer, ATCP_TIMERS),
		  atcp_show_state(__entry->state))
);

DEFINE_EVENT(atcp_sock_class, atcp_retransmit,
	TP_PROTO(const struct sock *sk),
	TP_ARGS(sk)
);

#endif /* _ATCP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
