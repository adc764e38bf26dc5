#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# test_peer.sh - packet-level scenarios: selftests/peer/scripts/*.pkt played
# by the packet peer against the protocol in $ATCP_PROTO (default 253 =
# atcp; 6 = Linux TCP, to validate the scripts).  One TAP result per script.
# Arguments (script names, -q, --pcap DIR, ...) go to selftests/peer/run.
exec python3 "$(dirname "$0")/peer/run" --proto "${ATCP_PROTO:-253}" "$@"
