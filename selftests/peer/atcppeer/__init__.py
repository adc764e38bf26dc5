# SPDX-License-Identifier: GPL-2.0
"""atcp's packet-level test peer (our packetdrill), as a package.

The peer speaks raw Ethernet frames on one end of a veth pair whose other
end is the device under test's (dut's) namespace; scripts
(selftests/peer/scripts/*.pkt) name the segments to send and to expect.
See selftests/peer/README.md.

The modules, by role:
    wire      frames: IPv4, TCP-format segments, ICMP errors, checksums
    options   TCP options as scripts write them
    text      payload escapes, the len=N pattern, number wildcards
    rawsock   the AF_PACKET socket: send, receive with kernel stamps, ARP
    rtnl      the rtnetlink requests that build the veth pair
    netns     Session: the two namespaces, the veth, the packet socket
    procnet   the dut's /proc/net: socket states, delayed-ACK state, MIBs
    app       the dut's applications (dutapp.py over a pipe)
    script    ScriptRun: connections, sending, expecting, timing
    flood     the frames of a flood, checksums computed incrementally
    interp    Interp: the .pkt line parser and its command table
    runner    selftests/peer/run: TAP over a list of scripts

What other tests (fuzzers, floods) use is named here.
"""

from .errors import ScriptError, TestFailure
from .interp import Interp
from .netns import ETHTOOL_SGSO, ETHTOOL_STSO, ETHTOOL_STXCSUM, Session, ethtool_set, setns_fd
from .procnet import read_ack_state, read_mibs, read_sockets
from .rawsock import Peer
from .script import Conn
from .text import pattern_bytes
from .wire import (F_ACK, F_FIN, F_PSH, F_RST, F_SYN, M32, Seg, build_icmp_error, build_l4,
                   build_quote, signed32)

__all__ = [
    'ScriptError', 'TestFailure', 'Interp', 'Session', 'ethtool_set', 'setns_fd',
    'ETHTOOL_SGSO', 'ETHTOOL_STSO', 'ETHTOOL_STXCSUM', 'read_ack_state', 'read_mibs',
    'read_sockets', 'Peer', 'Conn', 'pattern_bytes', 'F_ACK', 'F_FIN', 'F_PSH', 'F_RST',
    'F_SYN', 'M32', 'Seg', 'build_icmp_error', 'build_l4', 'build_quote', 'signed32',
]
