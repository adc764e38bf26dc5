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
#include "atcp.h"

TRACE_DEFINE_ENUM(ATCP_ACK_QUICK);
TRACE_DEFINE_ENUM(ATCP_ACK_TWO_FULL);
TRACE_DEFINE_ENUM(ATCP_ACK_OFO);
TRACE_DEFINE_ENUM(ATCP_ACK_HOLE_FILLED);
TRACE_DEFINE_ENUM(ATCP_ACK_NOW_FLAG);
TRACE_DEFINE_ENUM(ATCP_ACK_DUP);
TRACE_DEFINE_ENUM(ATCP_ACK_CHALLENGE);
TRACE_DEFINE_ENUM(ATCP_ACK_STATE);
TRACE_DEFINE_ENUM(ATCP_ACK_DELAYED);
TRACE_DEFINE_ENUM(ATCP_ACK_TIMER);
TRACE_DEFINE_ENUM(ATCP_ACK_PIGGYBACK);
TRACE_DEFINE_ENUM(ATCP_ACK_TIMER_DUE);
TRACE_DEFINE_ENUM(ATCP_ACK_AFTER_READ);
TRACE_DEFINE_ENUM(ATCP_ACK_WINDOW_UPDATE);
TRACE_DEFINE_ENUM(ATCP_ACK_QUICKACK_SET);
TRACE_DEFINE_ENUM(ATCP_TIMER_RETRANS);
TRACE_DEFINE_ENUM(ATCP_TIMER_PROBE);
TRACE_DEFINE_ENUM(ATCP_TIMER_DELACK);
TRACE_DEFINE_ENUM(ATCP_TIMER_KEEPALIVE);
TRACE_DEFINE_ENUM(ATCP_TIMER_FIN_WAIT2);
TRACE_DEFINE_ENUM(ATCP_TW_START);
TRACE_DEFINE_ENUM(ATCP_TW_RESTART);
TRACE_DEFINE_ENUM(ATCP_TW_END);

#define atcp_show_reason(r)						\
	__print_symbolic(r, { ATCP_ACK_QUICK, "quickack" },		\
			 { ATCP_ACK_TWO_FULL, "two_full_segments" },	\
			 { ATCP_ACK_OFO, "out_of_order" },		\
			 { ATCP_ACK_HOLE_FILLED, "hole_filled" },	\
			 { ATCP_ACK_NOW_FLAG, "ack_now" },		\
			 { ATCP_ACK_DUP, "dup_or_out_of_window" },	\
			 { ATCP_ACK_CHALLENGE, "challenge" },		\
			 { ATCP_ACK_STATE, "state_change" },		\
			 { ATCP_ACK_DELAYED, "delayed" },		\
			 { ATCP_ACK_TIMER, "delack_timer" },		\
			 { ATCP_ACK_PIGGYBACK, "piggybacked" },	\
			 { ATCP_ACK_TIMER_DUE, "delack_due" },		\
			 { ATCP_ACK_AFTER_READ, "after_read" },		\
			 { ATCP_ACK_WINDOW_UPDATE, "window_update" },	\
			 { ATCP_ACK_QUICKACK_SET, "tcp_quickack" })

#define atcp_show_timer(t)						\
	__print_symbolic(t, { ATCP_TIMER_RETRANS, "retransmit" },	\
			 { ATCP_TIMER_PROBE, "zero_window_probe" },	\
			 { ATCP_TIMER_DELACK, "delack" },		\
			 { ATCP_TIMER_KEEPALIVE, "keepalive" },		\
			 { ATCP_TIMER_FIN_WAIT2, "fin_wait2" })

#define atcp_show_tw_event(e)						\
	__print_symbolic(e, { ATCP_TW_START, "start" },		\
			 { ATCP_TW_RESTART, "restart" },		\
			 { ATCP_TW_END, "end" })

#define atcp_show_state(s)						\
	__print_symbolic(s, { TCP_ESTABLISHED, "ESTABLISHED" },		\
			 { TCP_SYN_SENT, "SYN_SENT" },			\
			 { TCP_SYN_RECV, "SYN_RECV" },			\
			 { TCP_FIN_WAIT1, "FIN_WAIT1" },		\
			 { TCP_FIN_WAIT2, "FIN_WAIT2" },		\
			 { TCP_TIME_WAIT, "TIME_WAIT" },		\
			 { TCP_CLOSE, "CLOSE" },			\
			 { TCP_CLOSE_WAIT, "CLOSE_WAIT" },		\
			 { TCP_LAST_ACK, "LAST_ACK" },			\
			 { TCP_LISTEN, "LISTEN" },			\
			 { TCP_CLOSING, "CLOSING" },			\
			 { TCP_NEW_SYN_RECV, "NEW_SYN_RECV" })

TRACE_EVENT(atcp_state,
	    TP_PROTO(const struct sock *sk, int oldstate, int newstate),
	    TP_ARGS(sk, oldstate, newstate),
	    TP_STRUCT__entry(__field(const void *, skaddr)
			     __field(__u16, sport)
			     __field(__u16, dport)
			     __array(__u8, saddr, 4)
			     __array(__u8, daddr, 4)
			     __field(int, oldstate)
			     __field(int, newstate)),
	    TP_fast_assign(__entry->skaddr = sk;
			   __entry->sport = ntohs(inet_sk(sk)->inet_sport);
			   __entry->dport = ntohs(inet_sk(sk)->inet_dport);
			   memcpy(__entry->saddr, &inet_sk(sk)->inet_saddr, 4);
			   memcpy(__entry->daddr, &inet_sk(sk)->inet_daddr, 4);
			   __entry->oldstate = oldstate;
			   __entry->newstate = newstate;),
	    TP_printk("%pI4:%u -> %pI4:%u %s -> %s",
		      __entry->saddr, __entry->sport,
		      __entry->daddr, __entry->dport,
		      atcp_show_state(__entry->oldstate),
		      atcp_show_state(__entry->newstate))
);

TRACE_EVENT(atcp_ack,
	    TP_PROTO(const struct sock *sk, u32 ack, int reason, u32 delay_ms),
	    TP_ARGS(sk, ack, reason, delay_ms),
	    TP_STRUCT__entry(__field(const void *, skaddr)
			     __field(__u16, sport)
			     __field(__u16, dport)
			     __field(__u32, ack)
			     __field(int, reason)
			     __field(__u32, delay_ms)),
	    TP_fast_assign(__entry->skaddr = sk;
			   __entry->sport = ntohs(inet_sk(sk)->inet_sport);
			   __entry->dport = ntohs(inet_sk(sk)->inet_dport);
			   __entry->ack = ack;
			   __entry->reason = reason;
			   __entry->delay_ms = delay_ms;),
	    TP_printk("sport=%u dport=%u ack=%u %s delay_ms=%u",
		      __entry->sport, __entry->dport, __entry->ack,
		      atcp_show_reason(__entry->reason), __entry->delay_ms)
);

/*
 * A timer's work runs; late_ms is how long after the expiry it was armed
 * for (the timer softirq ran late, or a process held the socket): the
 * armed length is the event's time less late_ms, whatever the load.
 */
TRACE_EVENT(atcp_timer,
	    TP_PROTO(const struct sock *sk, int timer, int state, u32 late_ms),
	    TP_ARGS(sk, timer, state, late_ms),
	    TP_STRUCT__entry(__field(const void *, skaddr)
			     __field(__u16, sport)
			     __field(__u16, dport)
			     __field(int, timer)
			     __field(int, state)
			     __field(__u32, late_ms)),
	    TP_fast_assign(__entry->skaddr = sk;
			   __entry->sport = ntohs(inet_sk(sk)->inet_sport);
			   __entry->dport = ntohs(inet_sk(sk)->inet_dport);
			   __entry->timer = timer;
			   __entry->state = state;
			   __entry->late_ms = late_ms;),
	    TP_printk("sport=%u dport=%u timer=%s state=%s late_ms=%u",
		      __entry->sport, __entry->dport,
		      atcp_show_timer(__entry->timer),
		      atcp_show_state(__entry->state), __entry->late_ms)
);

TRACE_EVENT(atcp_retransmit,
	    TP_PROTO(const struct sock *sk, u32 seq),
	    TP_ARGS(sk, seq),
	    TP_STRUCT__entry(__field(const void *, skaddr)
			     __field(__u16, sport)
			     __field(__u16, dport)
			     __field(__u32, seq)),
	    TP_fast_assign(__entry->skaddr = sk;
			   __entry->sport = ntohs(inet_sk(sk)->inet_sport);
			   __entry->dport = ntohs(inet_sk(sk)->inet_dport);
			   __entry->seq = seq;),
	    TP_printk("sport=%u dport=%u seq=%u",
		      __entry->sport, __entry->dport, __entry->seq)
);

/*
 * A TIME_WAIT minisocket starts (or restarts) its timer of timeout_ms, or
 * ends: it expired, was killed by a RST, reused by a new SYN, or purged.
 */
/*
 * TIME_WAIT starts or restarts for timeout_ms, or ends; at its end,
 * late_ms is how long after its timer's expiry that came (0 for an end
 * before it, by a RST or a new connection).
 */
TRACE_EVENT(atcp_timewait,
	    TP_PROTO(const struct inet_timewait_sock *tw, int event,
		     u32 timeout_ms, u32 late_ms),
	    TP_ARGS(tw, event, timeout_ms, late_ms),
	    TP_STRUCT__entry(__field(const void *, twaddr)
			     __field(__u16, sport)
			     __field(__u16, dport)
			     __array(__u8, saddr, 4)
			     __array(__u8, daddr, 4)
			     __field(int, event)
			     __field(__u32, timeout_ms)
			     __field(__u32, late_ms)),
	    TP_fast_assign(__entry->twaddr = tw;
			   __entry->sport = tw->tw_num;
			   __entry->dport = ntohs(tw->tw_dport);
			   memcpy(__entry->saddr, &tw->tw_rcv_saddr, 4);
			   memcpy(__entry->daddr, &tw->tw_daddr, 4);
			   __entry->event = event;
			   __entry->timeout_ms = timeout_ms;
			   __entry->late_ms = late_ms;),
	    TP_printk("%pI4:%u -> %pI4:%u %s timeout_ms=%u late_ms=%u",
		      __entry->saddr, __entry->sport,
		      __entry->daddr, __entry->dport,
		      atcp_show_tw_event(__entry->event),
		      __entry->timeout_ms, __entry->late_ms)
);

#endif /* _ATCP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
