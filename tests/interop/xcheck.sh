#!/bin/sh
# Cross-check lp2p's keys, signatures, peer ids and multiaddrs against
# js-libp2p's own libraries, both ways:
#   1. lp2p makes a corpus (c/xcheck gen), JS checks it (js/xcheck.mjs verify);
#   2. JS makes a corpus (js/xcheck.mjs gen), lp2p checks it (c/xcheck verify).
# Exits 0 when both pass.  Without tests/interop/node_modules (run setup.sh)
# it exits 77, which automake counts as SKIP, unless LP2P_INTEROP_REQUIRED=1
# asks for a failure instead.
#
# Environment:
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
node="$here/node_modules/.bin/node"
bin=${XCHECK_BIN:-tests/interop/c/xcheck}
n=${XCHECK_N:-40}
seed=${XCHECK_SEED:-$(date +%s)}

if [ ! -x "$node" ]; then
	if [ "${LP2P_INTEROP_REQUIRED:-0}" = 1 ]; then
		echo "xcheck.sh: FAIL: $node is missing (run $here/setup.sh)" >&2
		exit 1
	fi
	echo "xcheck.sh: SKIP: $here/node_modules is missing (run setup.sh," \
		"or set LP2P_INTEROP_REQUIRED=1 to fail instead)"
	exit 77
fi
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

echo "xcheck.sh: N=$n seed=$seed ($("$node" --version))"
start=$(date +%s)

# 1. lp2p -> JS
if "$bin" gen "$n" "$seed" >"$work/lp2p.jsonl" 2>"$work/lp2p-gen.log"; then
	run js-verify "$node" "$here/js/xcheck.mjs" verify "$work/lp2p.jsonl" ||
		status=1
else
	cat "$work/lp2p-gen.log"
	echo "xcheck.sh: FAIL: xcheck gen"
	status=1
fi

# 2. JS -> lp2p
if "$node" "$here/js/xcheck.mjs" gen "$n" "$seed" >"$work/js.jsonl" \
	2>"$work/js-gen.log"; then
	run lp2p-verify "$bin" verify "$work/js.jsonl" || status=1
else
	cat "$work/js-gen.log"
	echo "xcheck.sh: FAIL: xcheck.mjs gen"
	status=1
fi

echo "xcheck.sh: $(($(date +%s) - start)) s"
if [ $status -eq 0 ]; then
	echo "xcheck.sh: PASS (lp2p -> JS and JS -> lp2p)"
	rm -rf "$work"
else
	echo "xcheck.sh: FAIL; corpora and logs kept in $work" \
		"(repeat with XCHECK_SEED=$seed XCHECK_N=$n)"
fi
exit $status
