# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Variables set here are used by the scripts that source it.
# shellcheck disable=SC2034
# common.sh - shared glue for atcp's shell selftests (source it).
#
# Sets:  SELFTESTS (this selftests/ dir), REPO (top of the repo),
#        PROTO ($ATCP_PROTO, default 253), PROTO_NAME (atcp|tcp),
#        PYTHON (a python3 that works in the guest too), T (private tmp dir)
# Gives: cleanup_push CMD      run CMD (LIFO) at exit, on INT/TERM too
#        need_bin NAME         build selftests/progs/NAME if stale
#        need_cmd CMD...       skip the whole test if a command is missing
#        need_root             skip unless root
#        wait_for SECS CMD...  poll CMD every 20 ms until it succeeds
#        ready_fifo NAME       make a fifo in $T for a "ready" handshake
#        read_ready FIFO SECS [PID]  read one line from FIFO, with a timeout
#        xfer_hashes_agree SRV CLI   xfer's server and client agree on the
#                              hashes of both directions (their outputs)

SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$SELFTESTS/.." && pwd)
. "$SELFTESTS/lib/tap.sh"

PROTO=${ATCP_PROTO:-253}
export ATCP_PROTO=$PROTO
if [ "$PROTO" = 6 ]; then PROTO_NAME=tcp; else PROTO_NAME=atcp; fi

# /usr/bin/python3 first: a python3 from PATH may be a shim under /root,
# which the guest hides under a tmpfs.
if [ -z "${PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

_cleanup_cmds=()
cleanup_push() {
	_cleanup_cmds+=("$*")
}
_cleanup_run() {
	local i
	for ((i = ${#_cleanup_cmds[@]} - 1; i >= 0; i--)); do
		eval "${_cleanup_cmds[$i]}" >/dev/null 2>&1 || true
	done
	_cleanup_cmds=()
}
trap '_cleanup_run' EXIT
trap '_cleanup_run; exit 130' INT
trap '_cleanup_run; exit 143' TERM

T=$(mktemp -d "${TMPDIR:-/tmp}/atcp-test.XXXXXX")
cleanup_push "rm -rf '$T'"

need_root() {
	[ "$(id -u)" = 0 ] || tap_skip_all "needs root"
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || tap_skip_all "needs $c"
	done
}

# Build selftests/progs/NAME from progs/NAME.c (or the files progs/NAME-*.c
# of a program of several) unless an up-to-date binary exists; as
# selftests/Makefile does.  Atomic (build to a temp name, then rename), so
# parallel tests are safe.
need_bin() {
	local name=$1 dir="$SELFTESTS/progs" f
	local bin="$dir/$1" srcs=("$dir/$1".c)
	[ -e "${srcs[0]}" ] || srcs=("$dir/$1"-*.c)
	if [ -x "$bin" ]; then
		for f in "${srcs[@]}" "$dir"/*.h; do
			[ "$bin" -nt "$f" ] || break
		done
		[ "$bin" -nt "$f" ] && return 0
	fi
	local tmp="$bin.tmp.$$"
	if ! ${CC:-cc} -O2 -Wall -I"$REPO/include" -I"$dir" -o "$tmp" "${srcs[@]}" \
		-lpthread >"$T/cc.$name.log" 2>&1; then
		cat "$T/cc.$name.log" >&2
		rm -f "$tmp"
		echo "Bail out! cannot build $name"
		exit 1
	fi
	mv -f "$tmp" "$bin"
}

wait_for() {
	local secs=$1
	shift
	local deadline=$((SECONDS + secs))
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.02
	done
}

ready_fifo() {
	local f="$T/$1"
	rm -f "$f"
	mkfifo "$f"
	echo "$f"
}

# read_ready FIFO SECS [PID]: print the first line a server wrote to FIFO.
# The fifo is opened read-write so that the open never blocks; the read
# times out after SECS, or fails early once PID (the writer) has exited.
# A read that times out mid-line keeps what it read in the variable: it is
# carried over, so a line written in pieces arrives whole.
read_ready() {
	local fifo=$1 secs=$2 pid=${3:-} line='' part fd
	local deadline=$((SECONDS + secs))
	exec {fd}<>"$fifo"
	while :; do
		if IFS= read -r -t 0.2 -u "$fd" part; then
			exec {fd}<&-
			printf '%s\n' "$line$part"
			return 0
		fi
		line+=$part
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			break
		fi
		[ $SECONDS -lt $deadline ] || break
	done
	exec {fd}<&-
	return 1
}

# xfer_hashes_agree SERVER_OUTPUT CLIENT_OUTPUT: the hashes xfer's server
# and client printed for each direction are equal (texts, not files).
# Prints them ("server 'A B', client 'A B'") for a diagnostic.
xfer_hashes_agree() {
	local s c
	s=$(sed -n 's/^server: rx [0-9]* bytes hash \([0-9a-f]*\)  tx [a-z]* hash \([0-9a-f]*\) ok$/\1 \2/p' <<<"$1")
	c=$(sed -n 's/^client: tx [0-9]* bytes hash \([0-9a-f]*\)  rx [0-9]* bytes hash \([0-9a-f]*\) ok$/\1 \2/p' <<<"$2")
	echo "server '$s', client '$c'"
	[ -n "$s" ] && [ "$s" = "$c" ]
}
