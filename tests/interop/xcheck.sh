#!/bin/sh
# Cross-check lp2p's keys, signatures, peer ids and multiaddrs against
# another libp2p's own libraries (LP2P_PEER=js, go or rust; see peer.sh),
# both ways:
#   1. lp2p makes a corpus (c/xcheck gen), the peer checks it (js/xcheck.mjs
#      verify, or the go or rust peer's `xcheck verify`);
#   2. the peer makes a corpus (`xcheck gen`), lp2p checks it (c/xcheck
#      verify).
# Exits 0 when both pass.  Without the peer installed (run setup.sh) it
# exits 77, which automake counts as SKIP, unless LP2P_INTEROP_REQUIRED=1
# asks for a failure instead.
#
# Environment:
#   LP2P_PEER        js (default), go or rust
#   XCHECK_BIN       the built C program (make's wrapper sets it; default
#                    tests/interop/c/xcheck under the current directory)
#   XCHECK_N         corpus size: N keys of each main type, 25*N multiaddrs
#                    (default 40)
#   XCHECK_SEED      seed of both generators (default: from the clock);
#                    printed, so that a failing run can be repeated
#   LP2P_INTEROP_REQUIRED=1   fail instead of skipping without node_modules
# A failing run keeps its corpora and logs and prints where they are.
set -u

here=$(cd "$(dirname "$0")" && pwd)
bin=${XCHECK_BIN:-tests/interop/c/xcheck}
n=${XCHECK_N:-40}
seed=${XCHECK_SEED:-$(date +%s)}

. "$here/peer.sh"
peer_require

# xcheck_peer gen N SEED | verify FILE: the peer's half
xcheck_peer() {
	if [ "$peer_kind" = js ]; then
		"$node" "$here/js/xcheck.mjs" "$@"
	else
		"$peer_exe" xcheck "$@"
	fi
}
if [ ! -x "$bin" ]; then
	echo "xcheck.sh: FAIL: $bin is not built (run make check)" >&2
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lp2p-xcheck.XXXXXX") || exit 1
status=0

run() {
	# run NAME CMD...: stdout and stderr to $work/NAME.log, shown after.
	name=$1
	shift
	"$@" >"$work/$name.log" 2>&1
	rc=$?
	cat "$work/$name.log"
	return $rc
}

echo "xcheck.sh: N=$n seed=$seed ($peer_name)"
start=$(date +%s)

# 1. lp2p -> the peer
if "$bin" gen "$n" "$seed" >"$work/lp2p.jsonl" 2>"$work/lp2p-gen.log"; then
	run peer-verify xcheck_peer verify "$work/lp2p.jsonl" ||
		status=1
else
	cat "$work/lp2p-gen.log"
	echo "xcheck.sh: FAIL: xcheck gen"
	status=1
fi

# 2. the peer -> lp2p
if xcheck_peer gen "$n" "$seed" >"$work/peer.jsonl" \
	2>"$work/peer-gen.log"; then
	# js-libp2p departs from the spec in places (README.md): only its
	# corpus is verified with those allowed for
	js_flag=
	[ "$peer_kind" = js ] && js_flag=--js
	run lp2p-verify "$bin" verify $js_flag "$work/peer.jsonl" || status=1
else
	cat "$work/peer-gen.log"
	echo "xcheck.sh: FAIL: $peer_kind xcheck gen"
	status=1
fi

echo "xcheck.sh: $(($(date +%s) - start)) s"
if [ $status -eq 0 ]; then
	echo "xcheck.sh: PASS (lp2p -> $peer_kind and $peer_kind -> lp2p)"
	rm -rf "$work"
else
	echo "xcheck.sh: FAIL; corpora and logs kept in $work" \
		"(repeat with XCHECK_SEED=$seed XCHECK_N=$n)"
fi
exit $status
