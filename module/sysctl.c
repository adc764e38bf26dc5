// SPDX-License-Identifier: GPL-2.0
/*
 * atcp: tunables under net.atcp, one set per network namespace.
 *
 * The template's .data holds offsets into struct atcp_net; each namespace
 * gets a copy rebased on its own struct.  Writes outside [extra1, extra2]
 * fail with EINVAL and leave the old value (proc_dointvec_minmax).
 */
#include <linux/module.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>

#include "atcp.h"

static int max_1000 = 1000;
static int max_3600 = 3600;
static int max_255 = 255;
static int max_127 = 127;
static int max_4 = 4;
static int max_7 = 7;
static int max_keepalive = 32767;
static int min_buf = 4096;
static int max_buf = 64 << 20;

#define ATCP_SYSCTL(_name, _field, _min, _max)				\
	{								\
		.procname	= _name,				\
		.data		= (void *)offsetof(struct atcp_net, _field), \
		.maxlen		= sizeof(int),				\
		.mode		= 0644,					\
		.proc_handler	= proc_dointvec_minmax,			\
		.extra1		= _min,					\
		.extra2		= _max,					\
	}

/*
 * net.atcp.congestion_control: the namespace's algorithm for new sockets,
 * by name; an unknown one is refused with ENOENT.  data is the
 * namespace's ca_default.
 */
int atcp_sysctl_congestion_control(void *data, int write, void *buffer,
				   size_t *lenp, loff_t *ppos)
{
	struct atcp_net *an = container_of(data, struct atcp_net, ca_default);
	char name[ATCP_CA_NAME_MAX];
	struct ctl_table tbl = {
		.data = name,
		.maxlen = sizeof(name),
	};
	int err;

	atcp_cong_default_name(an, name);
	err = proc_dostring(&tbl, write, buffer, lenp, ppos);
	if (write && !err)
		err = atcp_cong_set_default(an, name);
	return err;
}

/* net.atcp.available_congestion_control: every algorithm, read-only. */
int atcp_sysctl_available_cc(int write, void *buffer, size_t *lenp,
			     loff_t *ppos)
{
	char names[ATCP_CA_BUF_MAX];
	struct ctl_table tbl = {
		.data = names,
		.maxlen = sizeof(names),
	};

	atcp_cong_available(names, sizeof(names));
	return proc_dostring(&tbl, write, buffer, lenp, ppos);
}

static const struct ctl_table atcp_sysctl_template[] = {
	ATCP_SYSCTL("fin_timeout", fin_timeout, SYSCTL_ONE, &max_3600),
	ATCP_SYSCTL("tw_timeout", tw_timeout, SYSCTL_ONE, &max_3600),
	ATCP_SYSCTL("delack_min", delack_min, SYSCTL_ONE, &max_1000),
	ATCP_SYSCTL("delack_max", delack_max, SYSCTL_ONE, &max_1000),
	ATCP_SYSCTL("syn_retries", syn_retries, SYSCTL_ONE, &max_127),
	ATCP_SYSCTL("synack_retries", synack_retries, SYSCTL_ONE, &max_127),
	ATCP_SYSCTL("rfc1337", rfc1337, SYSCTL_ZERO, SYSCTL_ONE),
	ATCP_SYSCTL("syncookies", syncookies, SYSCTL_ZERO, SYSCTL_TWO),
	ATCP_SYSCTL("keepalive_time", keepalive_time, SYSCTL_ONE, &max_keepalive),
	ATCP_SYSCTL("keepalive_intvl", keepalive_intvl, SYSCTL_ONE, &max_keepalive),
	ATCP_SYSCTL("keepalive_probes", keepalive_probes, SYSCTL_ONE, &max_127),
	ATCP_SYSCTL("retries2", retries2, SYSCTL_ONE, &max_255),
	ATCP_SYSCTL("orphan_retries", orphan_retries, SYSCTL_ONE, &max_255),
	ATCP_SYSCTL("max_tw_buckets", tw_death_row.sysctl_max_tw_buckets,
		    SYSCTL_ZERO, SYSCTL_INT_MAX),
	/*
	 * min default max, as tcp_rmem and tcp_wmem: each at least 4096 for
	 * rmem, 1 for wmem, in no required order (the uses take them as
	 * they are, as TCP's).  A write stops at the first bad value.
	 */
	{
		.procname	= "rmem",
		.data		= (void *)offsetof(struct atcp_net, rmem),
		.maxlen		= sizeof(int[3]),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= &min_buf,
	},
	{
		.procname	= "wmem",
		.data		= (void *)offsetof(struct atcp_net, wmem),
		.maxlen		= sizeof(int[3]),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ONE,
	},
	/* The middle values under their old names, with their old range. */
	ATCP_SYSCTL("rmem_default", rmem[1], &min_buf, &max_buf),
	ATCP_SYSCTL("wmem_default", wmem[1], &min_buf, &max_buf),
	/* 0..255 as tcp_moderate_rcvbuf (a u8 there); not 0: on */
	ATCP_SYSCTL("moderate_rcvbuf", moderate_rcvbuf, SYSCTL_ZERO, &max_255),
	{
		.procname	= "notsent_lowat",
		.data		= (void *)offsetof(struct atcp_net, notsent_lowat),
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= proc_douintvec,
	},
	ATCP_SYSCTL("challenge_ack_limit", challenge_ack_limit, SYSCTL_ZERO,
		    SYSCTL_INT_MAX),
	ATCP_SYSCTL("invalid_ratelimit", invalid_ratelimit, SYSCTL_ZERO,
		    SYSCTL_INT_MAX),
	ATCP_SYSCTL("early_retrans", early_retrans, SYSCTL_ZERO, &max_4),
	ATCP_SYSCTL("recovery", recovery, SYSCTL_ZERO, &max_7),
	ATCP_SYSCTL("dsack", dsack, SYSCTL_ZERO, SYSCTL_ONE),
	/* as tcp_ecn: 0 never, 1 ask and accept, 2 accept */
	ATCP_SYSCTL("ecn", ecn, SYSCTL_ZERO, SYSCTL_TWO),
	ATCP_SYSCTL("ecn_fallback", ecn_fallback, SYSCTL_ZERO, SYSCTL_ONE),
	{
		.procname	= "congestion_control",
		.data		= (void *)offsetof(struct atcp_net, ca_default),
		.maxlen		= ATCP_CA_NAME_MAX,
		.mode		= 0644,
		.proc_handler	= atcp_proc_congestion_control,
	},
	{
		.procname	= "available_congestion_control",
		.maxlen		= ATCP_CA_BUF_MAX,
		.mode		= 0444,
		.proc_handler	= atcp_proc_available_cc,
	},
	{ }
};

/*
 * Limits over all namespaces together, as Linux's tcp_mem and
 * tcp_max_orphans: shown in the initial namespace only.
 */
long atcp_sysctl_mem[3];		/* pages: no pressure, pressure, hard */
int atcp_sysctl_max_orphans;
/*
 * What the kernel's memory accounting reads through struct proto: a
 * socket below [0] gets memory even under pressure.  Constant, Linux's
 * defaults; atcp's own uses read the namespace's net.atcp.rmem and wmem.
 */
int atcp_sysctl_wmem[3] = { 4096, 16384, 4 << 20 };
int atcp_sysctl_rmem[3] = { 4096, 131072, 6 << 20 };

static struct ctl_table atcp_sysctl_global[] = {
	{
		.procname	= "mem",
		.data		= atcp_sysctl_mem,
		.maxlen		= sizeof(atcp_sysctl_mem),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
	},
	{
		.procname	= "max_orphans",
		.data		= &atcp_sysctl_max_orphans,
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_INT_MAX,
	},
	{ }
};

static struct ctl_table_header *atcp_sysctl_global_hdr;

/**
 * atcp_sysctl_limits_init() - the global limits' defaults, as tcp_init()
 * @ehash_size: buckets of the established hash table
 *
 * Half an orphan per bucket; memory from 4.7 % (pressure at 6.25 %, hard
 * limit 9.4 %) of the RAM outside high memory, as tcp_mem.
 *
 * Context: process context, module init, before any namespace is set up.
 */
void atcp_sysctl_limits_init(unsigned long ehash_size)
{
	unsigned long limit = max(nr_free_buffer_pages() / 16, 128UL);

	atcp_sysctl_max_orphans = min(ehash_size / 2, (unsigned long)INT_MAX);
	atcp_sysctl_mem[0] = limit / 4 * 3;
	atcp_sysctl_mem[1] = limit;
	atcp_sysctl_mem[2] = atcp_sysctl_mem[0] * 2;
}

/**
 * atcp_sysctl_init() - register the global net.atcp tunables
 *
 * Context: process context, module init (may sleep).
 * Return: 0, or -ENOMEM.
 */
int atcp_sysctl_init(void)
{
	atcp_sysctl_global_hdr =
		atcp_register_net_sysctl(&init_net, "net/atcp", atcp_sysctl_global,
					 ARRAY_SIZE(atcp_sysctl_global) - 1);
	return atcp_sysctl_global_hdr ? 0 : -ENOMEM;
}

/**
 * atcp_sysctl_exit() - unregister the global net.atcp tunables
 *
 * Context: process context, module exit (may sleep).
 */
void atcp_sysctl_exit(void)
{
	unregister_net_sysctl_table(atcp_sysctl_global_hdr);
}

/**
 * atcp_sysctl_defaults() - a namespace's tunables at their defaults
 * @an: the namespace's atcp state
 *
 * Context: process context, the namespace's init, before its sysctl table
 * is registered.
 */
void atcp_sysctl_defaults(struct atcp_net *an)
{
	an->fin_timeout = 60;
	an->tw_timeout = 60;
	an->delack_min = 40;
	an->delack_max = 200;
	an->syn_retries = 6;
	an->synack_retries = 5;
	an->rfc1337 = 0;
	an->syncookies = 1;
	an->keepalive_time = 7200;
	an->keepalive_intvl = 75;
	an->keepalive_probes = 9;
	an->retries2 = 15;
	an->orphan_retries = 8;
	an->tw_death_row.sysctl_max_tw_buckets = 262144;
	/* Linux 6.1's tcp_rmem, tcp_wmem and tcp_moderate_rcvbuf */
	an->rmem[0] = 4096;
	an->rmem[1] = 131072;
	an->rmem[2] = 6 << 20;
	an->wmem[0] = 4096;
	an->wmem[1] = 16384;
	an->wmem[2] = 4 << 20;
	an->moderate_rcvbuf = 1;
	an->notsent_lowat = UINT_MAX;
	an->challenge_ack_limit = INT_MAX;
	an->invalid_ratelimit = 500;
	an->early_retrans = 3;
	an->recovery = ATCP_RACK_LOSS_DETECTION;
	an->dsack = 1;
	an->ecn = 2;
	an->ecn_fallback = 1;
}

/**
 * atcp_sysctl_net_init() - register a namespace's net.atcp tunables
 * @net: the namespace
 *
 * A copy of the template, each entry pointed at this namespace's field.
 *
 * Context: process context, the namespace's init (may sleep).
 * Return: 0, or -ENOMEM.
 */
int atcp_sysctl_net_init(struct net *net)
{
	struct atcp_net *an = atcp_pernet(net);
	struct ctl_table *table;
	int i;

	table = kmemdup(atcp_sysctl_template, sizeof(atcp_sysctl_template),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	for (i = 0; table[i].procname; i++)
		table[i].data = (char *)an + (uintptr_t)table[i].data;

	an->sysctl_hdr = atcp_register_net_sysctl(net, "net/atcp", table,
						  ARRAY_SIZE(atcp_sysctl_template) - 1);
	if (!an->sysctl_hdr) {
		kfree(table);
		return -ENOMEM;
	}
	return 0;
}

/**
 * atcp_sysctl_net_exit() - unregister a namespace's net.atcp tunables
 * @net: the namespace
 *
 * Context: process context, the namespace's exit (may sleep).
 */
void atcp_sysctl_net_exit(struct net *net)
{
	struct atcp_net *an = atcp_pernet(net);
	const struct ctl_table *table = an->sysctl_hdr->ctl_table_arg;

	unregister_net_sysctl_table(an->sysctl_hdr);
	kfree(table);
}
