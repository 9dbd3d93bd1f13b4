#!/bin/sh
# test_perf.sh without js-libp2p (a `make check` test): pointed at an
# interop directory with no node_modules, it skips its js-libp2p half and
# passes; with LP2P_INTEROP_REQUIRED=1 (run-all.sh, CI) it fails instead
# of passing on the lp2p half alone.
#
# Run by make from the top build directory ($srcdir set by the harness).
set -u

here=$(cd "$(dirname "$0")" && pwd)
empty=$(mktemp -d "${TMPDIR:-/tmp}/lp2p-perf-nojs.XXXXXX") || exit 1
trap 'rm -rf "$empty"' EXIT
out=$empty/out
failed=0

# required: a failure, at once
LP2P_INTEROP_DIR=$empty LP2P_INTEROP_REQUIRED=1 sh "$here/test_perf.sh" \
	>"$out" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q "^FAIL: .*node.* missing" "$out"; then
	echo "PASS required and missing js-libp2p is a failure"
else
	echo "FAIL required and missing js-libp2p: exit $rc"
	sed 's/^/    /' "$out" | tail -n 20
	failed=1
fi

# not required: the js-libp2p half is skipped, the rest passes
env -u LP2P_INTEROP_REQUIRED LP2P_INTEROP_DIR="$empty" \
	sh "$here/test_perf.sh" >"$out" 2>&1
rc=$?
if [ $rc = 0 ] && grep -q "^SKIP js-libp2p interop" "$out" &&
	! grep -q "^FAIL" "$out"; then
	echo "PASS missing js-libp2p is skipped"
else
	echo "FAIL missing js-libp2p, not required: exit $rc"
	sed 's/^/    /' "$out" | tail -n 20
	failed=1
fi
exit $failed
