#!/bin/sh
# Interoperability of connections with another libp2p implementation, both
# directions (a `make check` test, once per peer: LP2P_PEER=js, go or rust;
# see peer.sh and README.md):
#
#  1. lp2p dials the peer: a peer server (--listen, every muxer it speaks)
#     and the C client (tests/interop/c/client) running every client
#     scenario against it, once per muxer.  The server's connection:open
#     lines must name the client's peer id.
#     The C client's own abort scenario (hang up mid-transfer, dial again)
#     runs against the peer server.
#  2. The peer dials lp2p: lp2pd with the echo plugin and the test
#     protocols (testproto, built from c/testproto.c), and the peer's client
#     (--dial) running every scenario but ping and identify against it, once
#     per muxer.  lp2pd's log must name the client's peer id.  testproto
#     also opens an echo stream back over every inbound connection (the
#     listener's side of the muxer); those that complete must come back
#     intact, and some must complete.  With the js peer, lp2pd must also
#     survive C clients that hang up or die in the middle of a transfer.
#
# Prints PASS/FAIL per check and exits 0 (all passed), 1 (a check failed)
# or 77 (skipped: the peer is not installed; run tests/interop/setup.sh).
# With LP2P_INTEROP_REQUIRED=1 a missing peer is a failure instead.
#
# Run by make from the top build directory ($srcdir set by the harness);
# by hand: `cd BUILD && LP2P_PEER=go SRC/tests/interop/run.sh`.  Environment:
#   LP2P_PEER          js (default), go or rust
#   LP2P_BUILDDIR      the top build directory (default: the current one)
#   LP2P_INTEROP_DIR   the directory holding js/, node_modules/, go/bin/ and
#                      rust/bin/ (default: $srcdir/tests/interop)
#   LP2P_INTEROP_KEEP  keep the work directory with every log
set -u

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "${srcdir:-$here/../..}" && pwd)
top_builddir=$(cd "${LP2P_BUILDDIR:-.}" && pwd)
LP2P_INTEROP_DIR=${LP2P_INTEROP_DIR:-$top_srcdir/tests/interop}
. "$here/peer.sh"
client=$top_builddir/tests/interop/c/client
lp2pd=$top_builddir/runtime/lp2pd/lp2pd
plugins=$top_builddir/plugins/.libs
test_plugins=$top_builddir/tests/interop/.libs

# Transfer sizes: 100 MiB echo once per muxer and direction; sink and
# source smaller (they add nothing new at 100 MiB).
echo_size=100M
bulk_size=32M
# Per process: every scenario is bounded twice (its own timeout and ours).
scenario_timeout=60
kill_after=90

peer_require
for f in "$client" "$lp2pd" "$plugins/echo.so" "$test_plugins/testproto.so"; do
	if [ ! -e "$f" ]; then
		echo "FAIL: $f is not built (run make check from the build directory)"
		exit 1
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/lp2p-interop-run.XXXXXX") || exit 1
server_pid=
child_pid=
runs=0
passed=0
failed=0

cleanup() {
	stop_pid "$child_pid"
	stop_pid "$server_pid"
	server_pid=
	if [ "${LP2P_INTEROP_KEEP:-0}" = 1 ] || [ $failed -gt 0 ]; then
		echo "logs kept in $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# bounded CMD...: run CMD with a time limit, in the background so that
# cleanup can stop it on a signal; sets rc.
bounded() {
	timeout -k 5 $kill_after "$@" &
	child_pid=$!
	wait "$child_pid"
	rc=$?
	child_pid=
}

pass() {
	passed=$((passed + 1))
	echo "PASS $*"
}

fail() {
	failed=$((failed + 1))
	echo "FAIL $*"
}

# show FILE...: indent files into the log
show() {
	for f in "$@"; do
		[ -s "$f" ] && sed 's/^/    /' "$f" | tail -n 40
	done
}

# json_field FIELD LINE: a string field of a one-line JSON object
json_field() {
	printf '%s\n' "$2" | sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"
}

# sanitizer_clean FILE...: no ASan/UBSan/LSan report in the files
sanitizer_clean() {
	! grep -l -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$@" \
		>/dev/null 2>&1
}

muxer_id() {
	case $1 in
	yamux) echo /yamux/1.0.0 ;;
	mplex) echo /mplex/6.7.0 ;;
	esac
}

export LP2P_NO_DLCLOSE=1 # sanitizers symbolize plugin frames

# ---- 1. lp2p dials the peer ----

echo "peer: $peer_name, muxers: $peer_muxers"
p_log=$work/peer-server.out
peer_bg --listen /ip4/127.0.0.1/tcp/0 \
	--muxer "$(echo $peer_muxers | tr ' ' ,)" \
	--lifetime 300 >"$p_log" 2>"$work/peer-server.err" &
server_pid=$!
if ! wait_for "$p_log" '"event":"listening"' "$server_pid"; then
	fail "$peer_kind server did not start"
	show "$p_log" "$work/peer-server.err"
	exit 1
fi
p_addr=$(sed -n 's/.*"event":"listening".*"addrs":\["\([^"]*\)".*/\1/p' \
	"$p_log" | head -n 1)
p_peer=$(json_field peerId "$(grep '"event":"listening"' "$p_log")")
echo "$peer_kind server $p_addr"

# c_client MUXER TEST [ARGS...]: the C client against the peer server
c_client() {
	muxer=$1
	test=$2
	shift 2
	label="lp2p->$peer_kind $muxer $test${*:+ ($*)}"
	runs=$((runs + 1))
	out=$work/c-$runs-$muxer-$test.out
	t0=$(now_ms)
	bounded "$client" --dial "$p_addr" --muxer "$muxer" \
		--test "$test" --timeout $scenario_timeout "$@" \
		>"$out" 2>"$out.err"
	ms=$(($(now_ms) - t0))
	result=$(grep '"event":"result"' "$out")
	if [ $rc -ne 0 ] || ! printf '%s' "$result" | grep -q '"ok":true'; then
		fail "$label (exit $rc, $ms ms)"
		show "$out" "$out.err"
		return
	fi
	if ! sanitizer_clean "$out.err"; then
		fail "$label: sanitizer report"
		show "$out.err"
		return
	fi
	want=$(muxer_id "$muxer")
	if [ "$(json_field multiplexer "$result")" != "$want" ] ||
		[ "$(json_field encryption "$result")" != /noise ] ||
		[ "$(json_field remotePeerId "$result")" != "$p_peer" ]; then
		fail "$label: not a noise + $want connection to $p_peer"
		show "$out"
		return
	fi
	# The peer saw our peer id: its connection:open line for us.
	self=$(json_field localPeerId "$result")
	i=0
	while ! grep '"event":"connection:open"' "$p_log" |
		grep "\"peerId\":\"$self\"" | grep '"direction":"inbound"' |
		grep -q "\"multiplexer\":\"$want\""; do
		i=$((i + 1))
		if [ $i -gt 20 ]; then
			fail "$label: $peer_kind server logged no inbound $want connection from $self"
			show "$out" "$p_log"
			return
		fi
		sleep 0.1
	done
	rate=$(printf '%s' "$result" | grep -o '"mbps":[0-9.]*' | cut -d: -f2)
	pass "$label ($ms ms${rate:+, $rate MB/s})"
}

for muxer in $peer_muxers; do
	c_client $muxer peer-id
	c_client $muxer wrong-peer-id
	c_client $muxer echo --size $echo_size
	c_client $muxer streams --count 500
	c_client $muxer half-close --size 1M
	c_client $muxer reset
	if [ "$peer_kind" = rust ] && [ "$muxer" = mplex ]; then
		# libp2p-mplex 0.44 queues the Reset of a dropped stream until
		# the connection's next outgoing frame (README.md)
		echo "KNOWN lp2p->rust mplex remote-reset: rust sends its Reset late"
	else
		c_client $muxer remote-reset
	fi
	c_client $muxer unsupported
	c_client $muxer sink --size $bulk_size
	c_client $muxer source --size $bulk_size
	c_client $muxer abort
	# a slow reader: pause 20 ms after every MiB (window / held data)
	c_client $muxer source --size 16M --pause-ms 20
	c_client $muxer echo --size 16M --pause-ms 20
done
stop_pid "$server_pid"
server_pid=

# ---- 2. the peer dials lp2p ----

cfg=$work/lp2pd.yaml
cat >"$cfg" <<EOF
listen: [/ip4/127.0.0.1/tcp/0]
security: [noise]
muxers: [yamux, mplex]
plugins:
  echo: {}
  testproto: {}
EOF
d_log=$work/lp2pd.log
LP2P_PLUGIN_PATH=$plugins:$test_plugins "$lp2pd" -c "$cfg" -v >"$d_log" 2>&1 &
server_pid=$!
if ! wait_for "$d_log" 'listening on /ip4/' "$server_pid"; then
	fail "lp2pd did not start"
	show "$d_log"
	exit 1
fi
d_addr=$(sed -n 's/.*listening on \(\/ip4\/[^ ]*\).*/\1/p' "$d_log" | head -n 1)
d_peer=${d_addr##*/p2p/}
echo "lp2pd $d_addr"

# p_client MUXER TEST [ARGS...]: the peer's client against lp2pd
p_client() {
	muxer=$1
	test=$2
	shift 2
	label="$peer_kind->lp2p $muxer $test${*:+ ($*)}"
	runs=$((runs + 1))
	out=$work/p-$runs-$muxer-$test.out
	t0=$(now_ms)
	bounded "$peer_exe" ${peer_script:+"$peer_script"} --dial "$d_addr" \
		--muxer "$muxer" --test "$test" --timeout $scenario_timeout "$@" \
		>"$out" 2>"$out.err"
	ms=$(($(now_ms) - t0))
	result=$(grep '"event":"result"' "$out")
	if [ $rc -ne 0 ] || ! printf '%s' "$result" | grep -q '"ok":true'; then
		fail "$label (exit $rc, $ms ms)"
		show "$out" "$out.err"
		tail -n 20 "$d_log" | sed 's/^/    lp2pd: /'
		return
	fi
	if ! kill -0 "$server_pid" 2>/dev/null; then
		fail "$label: lp2pd died"
		show "$d_log"
		return
	fi
	case $test in
	peer-id)
		want=$(muxer_id "$muxer")
		if [ "$(json_field seen "$result")" != "$d_peer" ] ||
			[ "$(json_field multiplexer "$result")" != "$want" ]; then
			fail "$label: not a $want connection to $d_peer"
			show "$out"
			return
		fi
		;;
	wrong-peer-id)
		if [ "$(json_field realPeerId "$result")" != "$d_peer" ]; then
			fail "$label: reached another peer than $d_peer"
			show "$out"
			return
		fi
		;;
	esac
	# lp2pd saw the client's peer id (logged once the upgrade verified
	# it).
	pid_seen=$(json_field localPeerId "$result")
	if [ -z "$pid_seen" ] || ! grep -q -F "$pid_seen" "$d_log"; then
		fail "$label: lp2pd's log does not name the $peer_kind peer $pid_seen"
		return
	fi
	# a plugin (testproto) saw the peer connect and, once the client
	# exited, disconnect: handle_new_connection / handle_closed_connection
	if [ "$test" != wrong-peer-id ]; then
		if ! grep -q -F "testproto: connection opened: $pid_seen" "$d_log" ||
			! wait_for "$d_log" "testproto: connection closed: $pid_seen" "$server_pid"; then
			fail "$label: the plugin did not see $pid_seen connect and disconnect"
			return
		fi
	fi
	rate=$(printf '%s' "$result" | grep -o '"mbps":[0-9.]*' | cut -d: -f2)
	pass "$label ($ms ms${rate:+, $rate MB/s})"
}

for muxer in $peer_muxers; do
	p_client $muxer peer-id
	p_client $muxer wrong-peer-id
	p_client $muxer echo --size $echo_size
	p_client $muxer streams --count 500
	p_client $muxer half-close --size 1M
	p_client $muxer reset
	p_client $muxer remote-reset
	p_client $muxer unsupported
	p_client $muxer sink --size $bulk_size
	p_client $muxer source --size $bulk_size
done

# lp2pd opened an echo stream back over every inbound connection
# (testproto); where the JS client stayed long enough, it came back intact,
# and what came back before a JS client hung up was right.
for muxer in $peer_muxers; do
	want=$(muxer_id "$muxer")
	label="lp2pd->$peer_kind $muxer reverse echo (streams opened by the listener)"
	# (short is fine: a JS client that stops closes its streams, FIN)
	if grep -q "testproto: reverse echo over $want to .*: failed: .*content differs" \
		"$d_log"; then
		fail "$label: wrong data"
		grep "testproto: reverse echo over $want" "$d_log" | sed 's/^/    /'
	elif grep -q "testproto: reverse echo over $want to .*: ok" "$d_log"; then
		pass "$label: $(grep -c "testproto: reverse echo over $want to .*: ok" "$d_log") ok"
	else
		fail "$label: none completed"
		grep "testproto: reverse echo over $want" "$d_log" | sed 's/^/    /'
	fi
done

# lp2pd survives a peer that hangs up in the middle of a transfer (the C
# client closes with unread data, so the kernel resets the connection).
# These test lp2pd against its own client, so only the js run has them.
robust_muxers=
[ "$peer_kind" = js ] && robust_muxers="yamux mplex"
for muxer in $robust_muxers; do
	label="lp2p->lp2pd $muxer abort"
	out=$work/abort-$muxer.out
	bounded "$client" --dial "$d_addr" --muxer $muxer \
		--test abort --timeout $scenario_timeout >"$out" 2>"$out.err"
	if [ $rc -eq 0 ] && grep -q '"ok":true' "$out" &&
		kill -0 "$server_pid" 2>/dev/null; then
		pass "$label"
	else
		fail "$label (exit $rc)"
		show "$out" "$out.err"
		tail -n 20 "$d_log" | sed 's/^/    lp2pd: /'
	fi
done

# ... and one that dies in the middle of a transfer (SIGKILL: the kernel
# resets the connection while lp2pd is sending).
for muxer in $robust_muxers; do
	label="lp2p->lp2pd $muxer client killed mid-transfer"
	out=$work/killed-$muxer.out
	"$client" --dial "$d_addr" --muxer $muxer --test source --size 4G \
		--timeout 30 >"$out" 2>&1 &
	child_pid=$!
	sleep 0.5
	kill -9 "$child_pid" 2>/dev/null
	wait "$child_pid" 2>/dev/null
	child_pid=
	sleep 0.2
	if kill -0 "$server_pid" 2>/dev/null; then
		pass "$label"
	else
		fail "$label: lp2pd died"
		tail -n 20 "$d_log" | sed 's/^/    lp2pd: /'
	fi
done

# lp2pd stops cleanly on SIGTERM, without sanitizer reports.
kill "$server_pid" 2>/dev/null
i=0
while kill -0 "$server_pid" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
if kill -0 "$server_pid" 2>/dev/null; then
	fail "lp2pd did not stop within 10 s of SIGTERM"
	stop_pid "$server_pid"
else
	wait "$server_pid"
	rc=$?
	if [ $rc -eq 0 ]; then
		pass "lp2pd stopped on SIGTERM"
	else
		fail "lp2pd exited with $rc after SIGTERM"
		tail -n 40 "$d_log" | sed 's/^/    /'
	fi
fi
server_pid=
if sanitizer_clean "$d_log"; then
	pass "lp2pd: no sanitizer report"
else
	fail "lp2pd: sanitizer report"
	grep -A 30 -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$d_log" |
		head -n 60 | sed 's/^/    /'
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
