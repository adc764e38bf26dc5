// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz-wire.c - the fuzz program's wire I/O: bytes, checksums and addresses,
 * network namespaces, AF_PACKET sockets, the pcap, and the batches of
 * frames sent and the frames received (fuzz.h).
 */
#include "fuzz.h"

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void write_ready(const char *path, const char *line)
{
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "w");
	if (!f)
		die(path);
	fprintf(f, "%s\n", line);
	fclose(f);
}

/* ------------------------------------------------------------------------
 * bytes, checksums, addresses
 */

void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* Sequence space comparison: a - b as a signed distance. */
int32_t sdiff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

/*
 * The TCP option of l4 at *i or after it (NOPs skipped), before hl (the
 * header's length) and whole within len bytes: its kind, *i at it and *olen
 * its length; -1 at the end of the list or at an option that is malformed.
 */
int tcp_option(const uint8_t *l4, int hl, int len, int *i, int *olen)
{
	while (*i < hl && *i < len) {
		int kind = l4[*i];

		if (kind == 0)
			return -1;
		if (kind == 1) {
			(*i)++;
			continue;
		}
		if (*i + 1 >= len)
			return -1;
		*olen = l4[*i + 1];
		if (*olen < 2 || *i + *olen > len)
			return -1;
		return kind;
	}
	return -1;
}

uint32_t sum16(const uint8_t *p, int n, uint32_t s)
{
	while (n > 1) {
		s += p[0] << 8 | p[1];
		p += 2;
		n -= 2;
	}
	if (n > 0)
		s += p[0] << 8;
	return s;
}

uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static uint32_t pseudo(uint32_t src, uint32_t dst, int proto, int len)
{
	return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}

void l4_csum(uint8_t *l4, int len, uint32_t src, uint32_t dst, int proto, int mode)
{
	uint16_t c;

	if (len < 18)
		return;
	put16(l4 + 16, 0);
	c = ~fold(sum16(l4, len, pseudo(src, dst, proto, len)));
	if (mode == CS_BAD)
		c ^= 0x5a5a;
	else if (mode == CS_ZERO)
		c = 0;
	put16(l4 + 16, c);
}

int l4_csum_ok(const uint8_t *l4, int len, uint32_t src, uint32_t dst, int proto)
{
	return len >= 18 && fold(sum16(l4, len, pseudo(src, dst, proto, len))) == 0xffff;
}

const char *ipstr(uint32_t a, char *buf)
{
	sprintf(buf, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return buf;
}

uint32_t parse_ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		dief("bad address '%s'", s);
	return ntohl(a.s_addr);
}

/* "ADDR:PORT" */
void parse_ep(const char *s, uint32_t *ip, uint16_t *port)
{
	char buf[64], *c;

	snprintf(buf, sizeof(buf), "%s", s);
	c = strrchr(buf, ':');
	if (!c)
		dief("want ADDR:PORT, got '%s'", s);
	*c = 0;
	*ip = parse_ip(buf);
	*port = atoi(c + 1);
}

void parse_mac(const char *s, uint8_t *mac)
{
	unsigned int m[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		dief("bad MAC '%s'", s);
	for (i = 0; i < 6; i++)
		mac[i] = m[i];
}

const char *flagstr(unsigned int fl, char *buf)
{
	static const char letters[] = "FSRP.UEWN";
	int i, n = 0;

	for (i = 0; i < 9; i++)
		if (fl & (1u << i))
			buf[n++] = letters[i];
	if (!n)
		buf[n++] = '-';
	buf[n] = 0;
	return buf;
}

/* ------------------------------------------------------------------------
 * network namespaces
 */

static int orig_ns = -1;

void enter_ns(const char *name)
{
	char path[256];
	int fd;

	if (orig_ns < 0) {
		orig_ns = open("/proc/self/ns/net", O_RDONLY);
		if (orig_ns < 0)
			die("/proc/self/ns/net");
	}
	if (!name || !*name || !strcmp(name, "-"))
		return;
	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	if (setns(fd, CLONE_NEWNET))
		die("setns");
	close(fd);
}

void leave_ns(void)
{
	if (orig_ns >= 0 && setns(orig_ns, CLONE_NEWNET))
		die("setns back");
}

/*
 * A socket table of /proc/self/net (tcp, atcp) as NETNS sees it, read past
 * its header line; NULL if it cannot be opened.
 */
FILE *open_socket_table(const char *ns, const char *file)
{
	char line[512];
	FILE *f;

	enter_ns(ns);
	f = fopen(file, "r");
	leave_ns();
	if (f && !fgets(line, sizeof(line), f))
		clearerr(f);	/* not even a header: nothing follows */
	return f;
}

/* "NETNS:IF" */
void split_nsif(const char *arg, char **ns, char **ifn)
{
	char *s = strdup(arg), *c = strchr(s, ':');

	if (!c)
		dief("want NETNS:IF, got '%s'", arg);
	*c = 0;
	*ns = s;
	*ifn = c + 1;
}

/* A packet socket on IF in NETNS; the interface's MAC in mac if wanted. */
int packet_socket(const char *ns, const char *ifn, int ignore_out, uint8_t *mac)
{
	struct sockaddr_ll sll = { 0 };
	int fd, one = 1, buf = 8 << 20;
	struct ifreq ifr;

	enter_ns(ns);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0)
		die("socket(AF_PACKET)");
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = if_nametoindex(ifn);
	if (!sll.sll_ifindex)
		die(ifn);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("bind(AF_PACKET)");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (ignore_out &&
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)))
		die("PACKET_IGNORE_OUTGOING");
	if (mac) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifn);
		if (ioctl(fd, SIOCGIFHWADDR, &ifr))
			die("SIOCGIFHWADDR");
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	leave_ns();
	return fd;
}

/* Turn off checksum offload and segmentation on the dut's interface. */
int offloads_off(const char *ns, const char *ifn)
{
	static const uint32_t cmds[] = { ETHTOOL_STXCSUM, ETHTOOL_STSO, ETHTOOL_SGSO };
	struct ethtool_value ev;
	struct ifreq ifr;
	unsigned int i;
	int fd, ok = 1;

	enter_ns(ns);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket");
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifn);
		ev.cmd = cmds[i];
		ev.data = 0;
		ifr.ifr_data = (void *)&ev;
		if (ioctl(fd, SIOCETHTOOL, &ifr))
			ok = 0;
	}
	close(fd);
	leave_ns();
	return ok;
}

/* ------------------------------------------------------------------------
 * pcap
 */

FILE *pcap;

void pcap_open(const char *path)
{
	static const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };

	pcap = fopen(path, "w");
	if (!pcap)
		die(path);
	fwrite(hdr, sizeof(hdr), 1, pcap);
}

static void pcap_frame(const uint8_t *fr, int len, int wire)
{
	struct timeval tv;
	uint32_t rec[4];

	if (!pcap)
		return;
	gettimeofday(&tv, NULL);
	rec[0] = tv.tv_sec;
	rec[1] = tv.tv_usec;
	rec[2] = len;
	rec[3] = wire;
	fwrite(rec, sizeof(rec), 1, pcap);
	fwrite(fr, len, 1, pcap);
}

/* ------------------------------------------------------------------------
 * sending and receiving
 */

int txfd, rxfd, snfd = -1;
struct pkt batch[MAXBATCH];
int nbatch;
struct pkt replies[256];
static int nreplies;

void flush_batch(void)
{
	struct mmsghdr msgs[MAXBATCH];
	struct iovec iov[MAXBATCH];
	int i, done = 0, n;
	double stuck = 0;

	for (i = 0; i < nbatch; i++) {
		iov[i].iov_base = batch[i].fr;
		iov[i].iov_len = batch[i].len;
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		pcap_frame(batch[i].fr, batch[i].len, batch[i].len);
	}
	while (done < nbatch) {
		n = sendmmsg(txfd, msgs + done, nbatch - done, 0);
		if (n < 0) {
			/*
			 * ENOBUFS: the dut's receive backlog is full (veth
			 * hands frames to netif_rx), softirqs are behind.
			 * Sleep, so that ksoftirqd runs, and send it again.
			 */
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
				die("sendmmsg");
			if (!stuck)
				stuck = now_s() + 30;
			else if (now_s() > stuck)
				die("sendmmsg: no progress for 30 s");
			st.enobufs++;
			usleep(200);
			continue;
		}
		stuck = 0;
		done += n;
	}
	nbatch = 0;
}

struct pkt *batch_slot(void)
{
	if (nbatch == cfg.batch)
		flush_batch();
	return &batch[nbatch++];
}

static void queue_reply(const struct rec *f, uint32_t seq, uint32_t ack, int flags)
{
	if (nreplies < 256)
		make_reply(&replies[nreplies++], f, seq, ack, flags);
}

void flush_replies(void)
{
	int i;

	for (i = 0; i < nreplies; i++) {
		*batch_slot() = replies[i];
		st.replies++;
	}
	nreplies = 0;
}

/* An atcp segment in an Ethernet frame; wire is its length on the wire. */
static int parse_frame(const uint8_t *fr, int caplen, int wire, struct parsed *o)
{
	const uint8_t *ip = fr + ETHLEN;
	int ihl, tot, doff;

	if (caplen < ETHLEN + 20 || fr[12] != 0x08 || fr[13] != 0x00)
		return 0;
	if (ip[0] >> 4 != 4 || ip[9] != cfg.proto || (get16(ip + 6) & 0x3fff))
		return 0;
	ihl = (ip[0] & 15) * 4;
	tot = get16(ip + 2);
	if (!tot)
		tot = wire - ETHLEN;	/* a GSO packet too big for the field */
	if (ihl < 20 || tot < ihl + 20 || caplen < ETHLEN + ihl + 20)
		return 0;
	o->src = get32(ip + 12);
	o->dst = get32(ip + 16);
	o->l4 = ip + ihl;
	o->l4len = tot - ihl;
	if (o->l4len > caplen - ETHLEN - ihl)
		o->l4len = caplen - ETHLEN - ihl;	/* only for the header */
	doff = o->l4[12] >> 4;
	o->dlen = tot - ihl - doff * 4;
	return 1;
}

static int is_local(uint32_t a)
{
	int i;

	if (a == cfg.dut_ip)
		return 1;
	for (i = 0; i < cfg.nprot; i++)
		if (a == cfg.prot[i].dip)
			return 1;
	return 0;
}

/* What the dut sent to the flood's side. */
static void rx_one(const uint8_t *fr, int caplen, int wire)
{
	struct parsed p;
	struct rec *f;
	int flags, doff, i, kind, olen;
	uint32_t seq, ack;

	st.rx++;
	pcap_frame(fr, caplen, wire);
	if (!parse_frame(fr, caplen, wire, &p)) {
		st.rx_other++;
		return;
	}
	st.rx_dut++;
	doff = p.l4[12] >> 4;
	flags = get16(p.l4 + 12) & 0x1ff;
	if (!is_local(p.src))
		st.dut_badsrc++;
	if (doff < 5 || p.dlen < 0 || ((flags & F_SYN) && (flags & (F_FIN | F_RST))))
		st.dut_badhdr++;
	if (csum_check && caplen == wire &&
	    !l4_csum_ok(p.l4, p.l4len, p.src, p.dst, cfg.proto))
		st.dut_badcsum++;
	if (doff < 5 || p.dlen < 0)
		return;
	f = rec_find(p.dst, p.src, get16(p.l4 + 2), get16(p.l4));
	if (!f)
		return;
	seq = get32(p.l4 + 4);
	ack = get32(p.l4 + 8);
	if ((flags & (F_SYN | F_ACK)) == (F_SYN | F_ACK) && !f->synack &&
	    (f->state == R_SYN_SENT || f->state == R_REQ)) {
		f->synack = 1;
		st.synacks++;
		f->dut_isn = seq;
		f->rcv_nxt = seq + 1;
		for (i = 20; (kind = tcp_option(p.l4, doff * 4, p.l4len, &i, &olen)) >= 0;
		     i += olen) {
			if (kind == 8 && olen == 10) {
				f->ts = 1;
				f->dut_tsval = get32(p.l4 + i + 2);
			}
		}
		if (f->state == R_SYN_SENT) {
			f->state = R_EST;
			st.established++;
			queue_reply(f, f->isn + 1, f->rcv_nxt, F_ACK);
		} else if (nreq < 1 << 30) {
			reqring[nreq++ % 256] = f - recs;
		}
	} else if (f->synack) {
		uint32_t end = seq + p.dlen + !!(flags & F_FIN);

		if (sdiff(end, f->rcv_nxt) > 0 && sdiff(end, f->rcv_nxt) < (1 << 24))
			f->rcv_nxt = end;
	}
	if ((flags & F_ACK) && !(flags & F_RST)) {
		f->dut_ack = ack;
		f->dut_ack_ok = 1;
	}
	if (flags & F_RST) {
		if (f->state != R_DEAD)
			st.dut_rsts++;
		f->state = R_DEAD;
		f->dut_reset = 1;
	}
}

/* What the peer-side socket saw. */
static void sniff_one(const uint8_t *fr, int caplen, int wire)
{
	struct parsed p;
	int i;

	pcap_frame(fr, caplen, wire);
	if (!parse_frame(fr, caplen, wire, &p) || p.dlen < 0 || (p.l4[12] >> 4) < 5)
		return;
	for (i = 0; i < cfg.nprot; i++) {
		struct pconn *q = &cfg.prot[i];
		uint16_t sp = get16(p.l4), dp = get16(p.l4 + 2);

		if (p.src == q->pip && p.dst == q->dip && sp == q->pport && dp == q->dport)
			p_seen(q, 0, p.l4, p.l4len, p.dlen);
		else if (p.src == q->dip && p.dst == q->pip && sp == q->dport && dp == q->pport)
			p_seen(q, 1, p.l4, p.l4len, p.dlen);
	}
}

static int drain(int fd, void (*fn)(const uint8_t *, int, int))
{
	static uint8_t buf[2048];
	int n, got = 0;

	if (fd < 0)
		return 0;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return got;
		}
		fn(buf, n < (int)sizeof(buf) ? n : (int)sizeof(buf), n);
		got++;
	}
}

void drain_all(void)
{
	drain(rxfd, rx_one);
	drain(snfd, sniff_one);
}

void drain_for(double secs)
{
	double end = now_s() + secs;
	struct pollfd pfd[2] = { { .fd = rxfd, .events = POLLIN }, { .fd = snfd, .events = POLLIN } };

	while (now_s() < end) {
		poll(pfd, snfd >= 0 ? 2 : 1, 20);
		drain_all();
	}
}

