# SPDX-License-Identifier: GPL-2.0
"""The testbed: two network namespaces joined by a veth pair, and the
peer's packet socket on its end."""

import ctypes
import fcntl
import os
import socket
import struct
import subprocess
import sys
import time

from .paths import DUTAPP, PEERDIR
from .rawsock import Peer, open_packet_socket
from .rtnl import RTMGRP_LINK, Rtnl

CLONE_NEWNET = 0x40000000
SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x17
ETHTOOL_STSO = 0x1f
ETHTOOL_SGSO = 0x24

# The dut owns DUT_IP on DUT_IF; the peer sends from PEER_IP (or anything in
# SPOOF_NET, routed to it) on PEER_IF, which has no address at all.
DUT_IP = '10.253.1.1'
PEER_IP = '10.253.1.2'
DUT_MAC = '02:00:0a:fd:01:01'
PEER_MAC = '02:00:0a:fd:01:02'
DUT_IF = 'atcpd0'
PEER_IF = 'atcpp0'
SPOOF_NET = '10.253.0.0/16'


_libc = ctypes.CDLL(None, use_errno=True)


def setns_fd(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, 'setns: ' + os.strerror(e))


def ethtool_set(ifname, cmd, val):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        buf = ctypes.create_string_buffer(struct.pack('II', cmd, val))
        ifr = struct.pack('16sP', ifname.encode(), ctypes.addressof(buf))
        fcntl.ioctl(s, SIOCETHTOOL, ifr)
    except OSError:
        pass
    finally:
        s.close()


def write_proc(path, val):
    try:
        with open(path, 'w') as f:
            f.write(str(val))
        return True
    except OSError:
        return False


def unshare_net():
    if _libc.unshare(CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, 'unshare: ' + os.strerror(e))


def this_netns_fd():
    return os.open('/proc/thread-self/ns/net', os.O_RDONLY)


class Session:
    """The two namespaces, the veth pair and the peer's packet socket.

    Namespaces are anonymous (unshare), set up with rtnetlink from this
    process: no `ip` process is run, which matters under QEMU TCG.  The
    process stays in the dut namespace while a script runs, so commands and
    the dut applications it starts run there, and /proc/net and /proc/sys/net
    are the dut's.

    dut_netns: None creates a fresh namespace; '-' uses the current one (for
    instance the VM's root namespace); any other name is an existing named
    namespace (/run/netns/NAME).  keep=True names the fresh namespaces
    (ip netns attach) and leaves them for debugging.
    """
    seq = 0

    def __init__(self, proto=253, dut_netns=None, log=None, keep=False):
        Session.seq += 1
        self.proto = proto
        self.log = log or (lambda s: None)
        self.keep = keep
        self.tag = '%d-%d' % (os.getpid(), Session.seq)
        self.dut_netns = dut_netns
        self.orig_fd = this_netns_fd()
        self.dut_fd = self.peer_fd = None
        self.sock = None
        self.peer = None
        self.saved_sysctls = []
        try:
            self._setup()
        except Exception:
            self.close()
            raise

    def _setup(self):
        if self.dut_netns is None:
            unshare_net()
            self.dut_fd = this_netns_fd()
            setns_fd(self.orig_fd)
        elif self.dut_netns == '-':
            self.dut_fd = os.dup(self.orig_fd)
        else:
            self.dut_fd = os.open('/run/netns/' + self.dut_netns, os.O_RDONLY)
        if self.dut_netns is not None:
            setns_fd(self.dut_fd)
            nl = Rtnl()
            nl.dellink(DUT_IF)  # left over by a killed run
            nl.close()
            setns_fd(self.orig_fd)
        # peer side: no address, no IPv6; the veth is created from here
        unshare_net()
        self.peer_fd = this_netns_fd()
        write_proc('/proc/sys/net/ipv6/conf/default/disable_ipv6', 1)
        nl = Rtnl()
        nl.veth(PEER_IF, PEER_MAC, DUT_IF, DUT_MAC, self.dut_fd,
                index=1000, peer_index=1001 if self.dut_netns is None else 0)
        write_proc('/proc/sys/net/ipv6/conf/%s/disable_ipv6' % PEER_IF, 1)
        nl.up(PEER_IF)
        nl.close()
        self.sock = open_packet_socket(PEER_IF)
        self.sock.setblocking(False)
        # dut side
        setns_fd(self.dut_fd)
        write_proc('/proc/sys/net/ipv6/conf/%s/disable_ipv6' % DUT_IF, 1)
        ethtool_set(DUT_IF, ETHTOOL_STXCSUM, 0)
        ethtool_set(DUT_IF, ETHTOOL_STSO, 0)
        # Generic segmentation stays on: GSO packets (TCP's, atcp's
        # super-segments) are cut in software before the veth, which has
        # no checksum offload; the skbs of the write queue are as TCP's.
        nl = Rtnl()
        nl.addr(DUT_IF, DUT_IP, 24)
        nl.up(DUT_IF)
        nl.up('lo')
        nl.neigh(PEER_IP, PEER_MAC, DUT_IF)
        a, plen = SPOOF_NET.split('/')
        nl.route(a, int(plen), PEER_IP, DUT_IF)
        nl.close()
        self.peer = Peer(self.sock, self.proto, PEER_MAC, DUT_MAC, DUT_IP, self.log)
        if self.keep:
            self._attach_names()
        # Wait until both ends are operationally up with their qdisc: the
        # linkwatch work does that asynchronously, and until then the
        # device's qdisc is noop, which drops frames (the first SYN of a
        # script, now and then).  IFF_RUNNING cannot tell: a new device's
        # operstate is "unknown", which counts as running.
        # Linkwatch announces what it did (RTM_NEWLINK): the state is read
        # again then, and every 50 ms should a notification be missed.
        for fd, ifn in ((self.peer_fd, PEER_IF), (self.dut_fd, DUT_IF)):
            setns_fd(fd)
            nl = Rtnl(RTMGRP_LINK)
            deadline = time.time() + 2.0
            try:
                while True:
                    oper, qdisc = nl.link_state(ifn)
                    if oper == 6 and qdisc not in (None, 'noop'):  # IF_OPER_UP
                        break
                    left = deadline - time.time()
                    if left <= 0:
                        break
                    nl.wait_event(min(0.05, left))
            finally:
                nl.close()

    def _attach_names(self):
        for fd, name in ((self.peer_fd, 'atcpp-' + self.tag),
                         (self.dut_fd if self.dut_netns is None else None, 'atcpd-' + self.tag)):
            if fd is None:
                continue
            subprocess.run(['sh', '-c', 'ip netns attach %s $$' % name],
                           preexec_fn=lambda fd=fd: setns_fd(fd))
            self.log('namespace kept: %s' % name)

    def in_peer(self):
        """preexec_fn for commands that run in the peer namespace."""
        setns_fd(self.peer_fd)

    def env(self):
        e = dict(os.environ)
        e.update(PROTO=str(self.proto), DUT_IP=DUT_IP, PEER_IP=PEER_IP,
                 DUT_IF=DUT_IF, PEER_IF=PEER_IF, PEERDIR=PEERDIR,
                 DUTAPP='%s -u %s --proto %d' % (sys.executable, DUTAPP, self.proto))
        return e

    def sysctl(self, name, value):
        """Write a sysctl in the dut namespace; restored at close() when the
        namespace is not ours."""
        path = '/proc/sys/' + name.strip().replace('.', '/')
        if self.dut_netns is not None:
            try:
                with open(path) as f:
                    self.saved_sysctls.append((path, f.read().strip()))
            except OSError:
                pass
        with open(path, 'w') as f:
            f.write(value.strip())

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None
        if self.peer and self.peer.pcap:
            self.peer.pcap.close()
            self.peer.pcap = None
        try:
            if self.dut_fd is not None and self.dut_netns is not None and not self.keep:
                setns_fd(self.dut_fd)
                for path, val in reversed(self.saved_sysctls):
                    write_proc(path, val)
                nl = Rtnl()
                nl.dellink(DUT_IF)
                nl.close()
        except OSError:
            pass
        setns_fd(self.orig_fd)
        for fd in (self.dut_fd, self.peer_fd, self.orig_fd):
            if fd is not None:
                os.close(fd)
        self.dut_fd = self.peer_fd = self.orig_fd = None
