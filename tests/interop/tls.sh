#!/bin/sh
# TLS (/tls/1.0.0) between lp2p and another libp2p (LP2P_PEER=js, go or
# rust; see peer.sh), both ways and with every muxer the peer speaks:
#   1. lp2p dials the peer:  c/tls_dial against the peer's --listen;
#   2. the peer dials lp2p:  its --dial against lp2pd (security: [tls],
#      the echo plugin).
# Scenarios: echo (TLS_INTEROP_SIZE bytes, default 100M), streams
# (TLS_INTEROP_STREAMS concurrent echo streams, default 500), wrong-peer-id
# (a dial naming another peer is refused), and peer-id for the peer's view
# of the negotiated security and muxer.  Prints PASS/FAIL per check.
#
# Without the peer installed (run setup.sh) it exits 77 (SKIP), unless
# LP2P_INTEROP_REQUIRED=1.  make's wrapper sets TLS_DIAL, LP2PD and
# LP2P_PLUGIN_PATH; run by hand from a build directory otherwise.
# Logs of a failing run are kept and their directory printed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
dial=${TLS_DIAL:-tests/interop/c/tls_dial}
lp2pd=${LP2PD:-runtime/lp2pd/lp2pd}
LP2P_PLUGIN_PATH=${LP2P_PLUGIN_PATH:-plugins/.libs}
export LP2P_PLUGIN_PATH
size=${TLS_INTEROP_SIZE:-100M}
count=${TLS_INTEROP_STREAMS:-500}

. "$here/peer.sh"
peer_require
for b in "$dial" "$lp2pd"; do
	[ -x "$b" ] || { echo "tls.sh: FAIL: $b is not built" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/lp2p-tls.XXXXXX")
pass=0
fail=0
server=

cleanup() {
	[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
	server=
}
trap 'cleanup' EXIT INT TERM

result() { # name file status pattern...
	name=$1
	file=$2
	ok=1
	[ "$3" = 0 ] || ok=0
	shift 3
	for p in "$@"; do
		grep -q -- "$p" "$file" || ok=0
	done
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
		echo "PASS: $name"
	else
		fail=$((fail + 1))
		echo "FAIL: $name: $(head -c 600 "$file")"
	fi
}

echo "peer: $peer_name, muxers: $peer_muxers"

# ---- 1. lp2p dials the peer ----
for mux in $peer_muxers; do
	out="$work/peer-server-$mux.out"
	peer_bg --listen /ip4/127.0.0.1/tcp/0 \
		--security tls --muxer "$mux" --lifetime 600 \
		>"$out" 2>"$work/peer-server-$mux.err" &
	server=$!
	if ! wait_for "$out" '"event":"listening"' "$server"; then
		fail=$((fail + 1))
		echo "FAIL: $peer_kind server ($mux) did not start: $(cat "$work/peer-server-$mux.err")"
		cleanup
		continue
	fi
	addr=$(sed -n 's/.*"addrs":\["\([^"]*\)".*/\1/p' "$out" | head -n 1)
	for t in echo streams wrong-peer-id; do
		r="$work/c-$t-$mux.out"
		timeout 600 "$dial" --dial "$addr" --test "$t" --muxer "$mux" \
			--size "$size" --count "$count" >"$r" 2>"$r.err"
		result "lp2p -> $peer_kind tls+$mux $t" "$r" $? '"ok":true'
	done
	result "$peer_kind saw lp2p over tls+$mux" "$out" 0 \
		'"event":"connection:open"' '"encryption":"/tls/1.0.0"' \
		"\"multiplexer\":\"/$mux/"
	cleanup
done

# ---- 2. the peer dials lp2pd ----
cat >"$work/lp2pd.yaml" <<YAML
listen:
  - /ip4/127.0.0.1/tcp/0
security: [tls]
muxers: [yamux, mplex]
plugins:
  echo: {}
limits:
  max_streams_per_connection: 4096
YAML
log="$work/lp2pd.log"
"$lp2pd" -c "$work/lp2pd.yaml" -v >"$log" 2>&1 &
server=$!
if wait_for "$log" 'listening on /ip4/' "$server"; then
	addr=$(sed -n 's/.*listening on \(\/ip4\/[^ ]*\).*/\1/p' "$log" | head -n 1)
	for mux in $peer_muxers; do
		for t in peer-id echo streams wrong-peer-id; do
			r="$work/p-$t-$mux.out"
			timeout 600 "$peer_exe" ${peer_script:+"$peer_script"} --dial "$addr" \
				--test "$t" --security tls --muxer "$mux" \
				--size "$size" --count "$count" \
				--timeout 500 >"$r" 2>"$r.err"
			st=$?
			case $t in
			peer-id)
				result "$peer_kind -> lp2p tls+$mux $t" "$r" $st '"ok":true' \
					'"encryption":"/tls/1.0.0"' \
					"\"multiplexer\":\"/$mux/" ;;
			*)
				result "$peer_kind -> lp2p tls+$mux $t" "$r" $st '"ok":true' ;;
			esac
		done
	done
	for mux in $peer_muxers; do
		result "lp2pd upgraded over tls+$mux" "$log" 0 \
			"ready (/tls/1.0.0, /$mux/"
	done
	kill "$server"
	wait "$server"
	st=$?
	server=
	result "lp2pd stopped cleanly (status $st)" "$log" $st 'lp2pd stopped'
else
	fail=$((fail + 1))
	echo "FAIL: lp2pd did not start: $(cat "$log")"
fi
cleanup

echo "$pass passed, $fail failed"
if [ $fail -ne 0 ]; then
	echo "logs kept in $work"
	exit 1
fi
rm -rf "$work"
exit 0
