// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: /proc/net/atcp, one line per socket in the format of
 * /proc/net/tcp (listeners, request socks, connections, TIME_WAIT), and
 * /proc/net/atcp_stat, the namespace's counters as "name value" lines.
 */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>
#include <net/tcp_states.h>

#include "atcp.h"

enum { ATCP_PHASE_LISTEN, ATCP_PHASE_EHASH, ATCP_PHASE_END };

struct atcp_iter_state {
	struct seq_net_private p;
	int phase;
	unsigned int bucket;
	unsigned int offset;	/* matching entries already passed in bucket */
	loff_t last_pos;
};

static spinlock_t *atcp_bucket_lock(int phase, unsigned int bucket)
{
	if (phase == ATCP_PHASE_LISTEN)
		return &atcp_hashinfo.lhash2[bucket].lock;
	return inet_ehash_lockp(&atcp_hashinfo, bucket);
}

static struct hlist_nulls_head *atcp_bucket_head(int phase, unsigned int bucket)
{
	if (phase == ATCP_PHASE_LISTEN)
		return &atcp_hashinfo.lhash2[bucket].nulls_head;
	return &atcp_hashinfo.ehash[bucket].chain;
}

static void atcp_bucket_unlock(const struct atcp_iter_state *st)
{
	spinlock_t *lock = atcp_bucket_lock(st->phase, st->bucket);

	if (st->phase == ATCP_PHASE_LISTEN)
		spin_unlock(lock);
	else
		spin_unlock_bh(lock);
}

/* The entry at (phase, bucket, offset) or the next one; locked if found. */
static struct sock *atcp_seek(struct seq_file *seq)
{
	struct atcp_iter_state *st = seq->private;
	struct net *net = seq_file_net(seq);

	for (; st->phase < ATCP_PHASE_END; st->phase++, st->bucket = 0) {
		unsigned int max = st->phase == ATCP_PHASE_LISTEN ?
				   atcp_hashinfo.lhash2_mask : atcp_hashinfo.ehash_mask;

		for (; st->bucket <= max; st->bucket++, st->offset = 0) {
			struct hlist_nulls_head *head =
				atcp_bucket_head(st->phase, st->bucket);
			spinlock_t *lock = atcp_bucket_lock(st->phase, st->bucket);
			struct hlist_nulls_node *node;
			unsigned int seen = 0;
			struct sock *sk;

			if (hlist_nulls_empty(head))
				continue;
			if (st->phase == ATCP_PHASE_LISTEN)
				spin_lock(lock);
			else
				spin_lock_bh(lock);
			sk_nulls_for_each(sk, node, head) {
				if (!net_eq(sock_net(sk), net))
					continue;
				if (seen++ == st->offset)
					return sk;
			}
			atcp_bucket_unlock(st);
			cond_resched();
		}
	}
	return NULL;
}

static void *atcp_seq_start(struct seq_file *seq, loff_t *pos)
{
	struct atcp_iter_state *st = seq->private;
	struct sock *sk;
	loff_t i;

	if (*pos && *pos == st->last_pos)
		return atcp_seek(seq);

	st->phase = ATCP_PHASE_LISTEN;
	st->bucket = 0;
	st->offset = 0;
	st->last_pos = *pos;
	if (!*pos)
		return SEQ_START_TOKEN;
	sk = atcp_seek(seq);
	for (i = 1; i < *pos && sk; i++) {
		atcp_bucket_unlock(st);
		st->offset++;
		sk = atcp_seek(seq);
	}
	return sk;
}

static void *atcp_seq_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct atcp_iter_state *st = seq->private;
	struct sock *sk;

	if (v != SEQ_START_TOKEN) {
		atcp_bucket_unlock(st);
		st->offset++;
	}
	sk = atcp_seek(seq);
	++*pos;
	st->last_pos = *pos;
	return sk;
}

static void atcp_seq_stop(struct seq_file *seq, void *v)
{
	if (v && v != SEQ_START_TOKEN)
		atcp_bucket_unlock(seq->private);
}

static void atcp_show_req(struct seq_file *f, const struct request_sock *req,
			  int i)
{
	const struct inet_request_sock *ireq = inet_rsk(req);

	seq_printf(f, "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %u %d %pK",
		   i, ireq->ir_loc_addr, ireq->ir_num, ireq->ir_rmt_addr,
		   ntohs(ireq->ir_rmt_port), TCP_SYN_RECV, 0, 0, 1,
		   jiffies_delta_to_clock_t(req->rsk_timer.expires - jiffies),
		   req->num_timeout,
		   from_kuid_munged(seq_user_ns(f), sock_i_uid(req->rsk_listener)),
		   0, 0, 0, req);
}

static void atcp_show_tw(struct seq_file *f, const struct inet_timewait_sock *tw,
			 int i)
{
	seq_printf(f, "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5d %8d %d %d %pK",
		   i, tw->tw_rcv_saddr, ntohs(tw->tw_sport), tw->tw_daddr,
		   ntohs(tw->tw_dport), tw->tw_substate, 0, 0, 3,
		   jiffies_delta_to_clock_t(tw->tw_timer.expires - jiffies),
		   0, 0, 0, 0, refcount_read(&tw->tw_refcnt), tw);
}

static void atcp_show_sock(struct seq_file *f, struct sock *sk, int i)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct inet_sock *inet = inet_sk(sk);
	const struct atcp_sock *ap = atcp_sk(sk);
	unsigned long expires = jiffies;
	int timer = 0, state, rx_queue;

	if (icsk->icsk_pending == ICSK_TIME_RETRANS) {
		timer = 1;
		expires = icsk->icsk_timeout;
	} else if (icsk->icsk_pending == ICSK_TIME_PROBE0) {
		timer = 4;
		expires = icsk->icsk_timeout;
	} else if (timer_pending(&icsk->icsk_keepalive_timer)) {
		timer = 2;
		expires = icsk->icsk_keepalive_timer.expires;
	}
	state = inet_sk_state_load(sk);
	if (state == TCP_LISTEN)
		rx_queue = READ_ONCE(sk->sk_ack_backlog);
	else
		rx_queue = max_t(int, READ_ONCE(ap->rcv_nxt) - READ_ONCE(ap->copied_seq), 0);

	seq_printf(f, "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %pK %lu %lu %u %u %d",
		   i, inet->inet_rcv_saddr, ntohs(inet->inet_sport),
		   inet->inet_daddr, ntohs(inet->inet_dport), state,
		   READ_ONCE(ap->write_seq) - READ_ONCE(ap->snd_una), rx_queue,
		   timer, jiffies_delta_to_clock_t(expires - jiffies),
		   icsk->icsk_retransmits,
		   from_kuid_munged(seq_user_ns(f), sock_i_uid(sk)),
		   icsk->icsk_probes_out, sock_i_ino(sk),
		   refcount_read(&sk->sk_refcnt), sk,
		   jiffies_to_clock_t(icsk->icsk_rto),
		   jiffies_to_clock_t(icsk->icsk_ack.ato),
		   (icsk->icsk_ack.quick << 1) | inet_csk_in_pingpong_mode(sk),
		   ap->snd_cwnd,
		   state == TCP_LISTEN ? 0 : ap->snd_ssthresh);
}

static int atcp_seq_show(struct seq_file *seq, void *v)
{
	struct atcp_iter_state *st = seq->private;
	struct sock *sk = v;

	seq_setwidth(seq, 149);
	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode");
		goto out;
	}
	if (sk->sk_state == TCP_TIME_WAIT)
		atcp_show_tw(seq, inet_twsk(sk), st->last_pos - 1);
	else if (sk->sk_state == TCP_NEW_SYN_RECV)
		atcp_show_req(seq, inet_reqsk(sk), st->last_pos - 1);
	else
		atcp_show_sock(seq, sk, st->last_pos - 1);
out:
	seq_pad(seq, '\n');
	return 0;
}

static const struct seq_operations atcp_seq_ops = {
	.start	= atcp_seq_start,
	.next	= atcp_seq_next,
	.stop	= atcp_seq_stop,
	.show	= atcp_seq_show,
};

static const char *const atcp_mib_names[ATCP_MIB_MAX] = {
	[ATCP_MIB_IN_SEGS]		= "InSegs",
	[ATCP_MIB_OUT_SEGS]		= "OutSegs",
	[ATCP_MIB_ACTIVE_OPENS]		= "ActiveOpens",
	[ATCP_MIB_PASSIVE_OPENS]	= "PassiveOpens",
	[ATCP_MIB_ATTEMPT_FAILS]	= "AttemptFails",
	[ATCP_MIB_ESTAB_RESETS]		= "EstabResets",
	[ATCP_MIB_OUT_RSTS]		= "OutRsts",
	[ATCP_MIB_IN_RSTS]		= "InRsts",
	[ATCP_MIB_RETRANS_SEGS]		= "RetransSegs",
	[ATCP_MIB_RTO_FIRES]		= "RtoFires",
	[ATCP_MIB_FAST_RETRANS]		= "FastRetrans",
	[ATCP_MIB_SACK_RECOVERY]	= "SackRecovery",
	[ATCP_MIB_SACKED_SEGS]		= "SackedSegs",
	[ATCP_MIB_SACK_RENEGING]	= "SackReneging",
	[ATCP_MIB_REORDER_SEEN]		= "ReorderSeen",
	[ATCP_MIB_SYN_RETRANS]		= "SynRetrans",
	[ATCP_MIB_SYNACK_RETRANS]	= "SynAckRetrans",
	[ATCP_MIB_DELAYED_ACKS]		= "DelayedACKs",
	[ATCP_MIB_DELAYED_ACK_LOCKED]	= "DelayedACKLocked",
	[ATCP_MIB_PIGGYBACKED_ACKS]	= "PiggybackedACKs",
	[ATCP_MIB_QUICK_ACKS]		= "QuickACKs",
	[ATCP_MIB_CHALLENGE_ACKS]	= "ChallengeACKs",
	[ATCP_MIB_OOW_ACKS_SKIPPED]	= "OowACKsSkipped",
	[ATCP_MIB_LISTEN_OVERFLOWS]	= "ListenOverflows",
	[ATCP_MIB_LISTEN_DROPS]		= "ListenDrops",
	[ATCP_MIB_REQ_QUEUE_FULL]	= "ReqQueueFull",
	[ATCP_MIB_SYN_COOKIES_SENT]	= "SynCookiesSent",
	[ATCP_MIB_SYN_COOKIES_OK]	= "SynCookiesRecv",
	[ATCP_MIB_SYN_COOKIES_BAD]	= "SynCookiesFailed",
	[ATCP_MIB_TW_CREATED]		= "TimeWaitCreated",
	[ATCP_MIB_TW_RECYCLED]		= "TimeWaitRecycled",
	[ATCP_MIB_TW_KILLED_BY_RST]	= "TimeWaitKilledByRst",
	[ATCP_MIB_FIN_WAIT2_TIMEOUTS]	= "FinWait2Timeouts",
	[ATCP_MIB_KEEPALIVE_TIMEOUTS]	= "KeepaliveTimeouts",
	[ATCP_MIB_ABORT_ON_DATA]	= "AbortOnData",
	[ATCP_MIB_ABORT_ON_CLOSE]	= "AbortOnClose",
	[ATCP_MIB_ABORT_ON_LINGER]	= "AbortOnLinger",
	[ATCP_MIB_ABORT_ON_TIMEOUT]	= "AbortOnTimeout",
	[ATCP_MIB_OFO_QUEUED]		= "OfoQueued",
	[ATCP_MIB_OFO_DROPPED]		= "OfoDropped",
	[ATCP_MIB_ZERO_WINDOW_PROBES]	= "ZeroWindowProbes",
	[ATCP_MIB_DROP_SHORT]		= "DropShortHeader",
	[ATCP_MIB_DROP_BAD_DOFF]	= "DropBadDataOffset",
	[ATCP_MIB_DROP_CSUM]		= "DropBadChecksum",
	[ATCP_MIB_DROP_BAD_OPTIONS]	= "DropBadOptions",
	[ATCP_MIB_DROP_NO_SOCKET]	= "DropNoSocket",
	[ATCP_MIB_DROP_BAD_FLAGS]	= "DropBadFlags",
	[ATCP_MIB_DROP_OUT_OF_WINDOW]	= "DropOutOfWindow",
	[ATCP_MIB_DROP_BAD_ACK]		= "DropBadAck",
	[ATCP_MIB_DROP_BACKLOG]		= "DropBacklogFull",
	[ATCP_MIB_DROP_RMEM]		= "DropRcvbufFull",
	[ATCP_MIB_OOW_ICMPS]		= "OutOfWindowIcmps",
	[ATCP_MIB_LOCK_DROPPED_ICMPS]	= "LockDroppedIcmps",
	[ATCP_MIB_PAWS_ESTAB]		= "PAWSEstab",
	[ATCP_MIB_OFO_PRUNED]		= "OfoPruned",
	[ATCP_MIB_PRUNE_CALLED]		= "PruneCalled",
	[ATCP_MIB_RCV_PRUNED]		= "RcvPruned",
	[ATCP_MIB_ABORT_ON_MEMORY]	= "AbortOnMemory",
	[ATCP_MIB_MEMORY_PRESSURES]	= "MemoryPressures",
	[ATCP_MIB_DEFER_ACCEPT_DROPS]	= "DeferAcceptDrops",
	[ATCP_MIB_LOST_RETRANSMIT]	= "LostRetransmit",
	[ATCP_MIB_DSACK_RECV]		= "DSACKRecv",
	[ATCP_MIB_DSACK_UNDO]		= "DSACKUndo",
	[ATCP_MIB_FULL_UNDO]		= "FullUndo",
	[ATCP_MIB_LOSS_UNDO]		= "LossUndo",
	[ATCP_MIB_PARTIAL_UNDO]		= "PartialUndo",
	[ATCP_MIB_SPURIOUS_RTO]		= "SpuriousRTOs",
	[ATCP_MIB_LOSS_PROBES]		= "LossProbes",
	[ATCP_MIB_LOSS_PROBE_RECOVERY]	= "LossProbeRecovery",
	[ATCP_MIB_OUT_SUPER_SEGS]	= "OutSuperSegs",
	[ATCP_MIB_DELIVERED_CE]		= "DeliveredCE",
};

static int atcp_stat_show(struct seq_file *seq, void *v)
{
	struct atcp_net *an = atcp_pernet(seq_file_single_net(seq));
	int i, cpu;

	for (i = 0; i < ATCP_MIB_MAX; i++) {
		u64 sum = 0;

		for_each_possible_cpu(cpu)
			sum += per_cpu_ptr(an->mib, cpu)->mibs[i];
		seq_printf(seq, "%s %llu\n", atcp_mib_names[i], sum);
	}
	return 0;
}

/**
 * atcp_proc_net_init() - create /proc/net/atcp and /proc/net/atcp_stat
 * @net: the namespace
 *
 * Context: process context, the namespace's init (may sleep).
 * Return: 0, or -ENOMEM with neither file left.
 */
int atcp_proc_net_init(struct net *net)
{
	if (!proc_create_net("atcp", 0444, net->proc_net, &atcp_seq_ops,
			     sizeof(struct atcp_iter_state)))
		return -ENOMEM;
	if (!proc_create_net_single("atcp_stat", 0444, net->proc_net,
				    atcp_stat_show, NULL)) {
		remove_proc_entry("atcp", net->proc_net);
		return -ENOMEM;
	}
	return 0;
}

/**
 * atcp_proc_net_exit() - remove the namespace's /proc/net/atcp files
 * @net: the namespace
 *
 * Context: process context, the namespace's exit (may sleep).
 */
void atcp_proc_net_exit(struct net *net)
{
	remove_proc_entry("atcp_stat", net->proc_net);
	remove_proc_entry("atcp", net->proc_net);
}
