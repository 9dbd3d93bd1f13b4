#!/bin/bash
# Self-test of the js-libp2p interop harness: a js peer.mjs server and a js
# peer.mjs client run every scenario for noise+yamux, noise+mplex and
# tls+yamux, plus protocol negotiation and non-Ed25519 identities.  Prints
# one PASS/FAIL line per run and "N passed, N failed"; exits non-zero on any
# failure.
set -u

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
./setup.sh >/dev/null || exit 1
node=$here/node_modules/.bin/node
work=$(mktemp -d "${TMPDIR:-/tmp}/lp2p-interop.XXXXXX")
server_pid=
passed=0
failed=0

cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# start_server NAME ARGS...: start a listening peer; sets server_addr, server_log.
start_server() {
	local name=$1
	shift
	server_log=$work/$name.server
	"$node" js/peer.mjs --listen /ip4/127.0.0.1/tcp/0 --lifetime 300 "$@" \
		>"$server_log" 2>"$server_log.err" &
	server_pid=$!
	server_addr=
	for _ in $(seq 100); do
		server_addr=$(sed -n 's/.*"event":"listening".*"addrs":\["\([^"]*\)".*/\1/p' "$server_log")
		[ -n "$server_addr" ] && return 0
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.2
	done
	echo "FAIL: server $name did not start"
	cat "$server_log.err"
	failed=$((failed + 1))
	return 1
}

stop_server() {
	kill "$server_pid" 2>/dev/null
	wait "$server_pid" 2>/dev/null
	server_pid=
}

# client LABEL ARGS...: run a scenario against the server; the result line
# must say "ok":true.  Leaves the result line in $result.
client() {
	local label=$1 out=$work/client.out t0 ms
	shift
	t0=$(date +%s%N)
	timeout 90 "$node" js/peer.mjs --dial "$server_addr" "$@" >"$out" 2>"$out.err"
	local rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	result=$(grep '"event":"result"' "$out")
	if [ $rc -eq 0 ] && grep -q '"ok":true' <<<"$result"; then
		passed=$((passed + 1))
		echo "PASS $label (${ms} ms) $(grep -o '"mbps":[0-9.]*' <<<"$result")"
	else
		failed=$((failed + 1))
		echo "FAIL $label (exit $rc, ${ms} ms)"
		cat "$out" "$out.err" | sed 's/^/    /'
	fi
}

# expect NAME PATTERN: one more check on the last result or the server log.
expect() {
	if grep -q -- "$2" <<<"$3"; then
		passed=$((passed + 1))
		echo "PASS $1"
	else
		failed=$((failed + 1))
		echo "FAIL $1: no $2 in"
		sed 's/^/    /' <<<"$3"
	fi
}

start=$(date +%s)
for combo in noise:yamux noise:mplex tls:yamux; do
	sec=${combo%:*} mux=${combo#*:}
	start_server "$sec-$mux" --security "$sec" --muxer "$mux" || continue
	opts=(--security "$sec" --muxer "$mux")
	client "$combo echo 10MiB" "${opts[@]}" --test echo --size 10M
	client "$combo streams 500" "${opts[@]}" --test streams --count 500
	client "$combo half-close" "${opts[@]}" --test half-close --size 1M
	client "$combo reset" "${opts[@]}" --test reset
	client "$combo remote-reset" "${opts[@]}" --test remote-reset
	client "$combo peer-id" "${opts[@]}" --test peer-id --seed selftest
	expect "$combo connection seen as /$sec, /$mux" "\"encryption\":\"/$sec.*\"multiplexer\":\"/$mux" "$result"
	client_id=$(sed -n 's/.*"localPeerId":"\([^"]*\)".*/\1/p' <<<"$result")
	expect "$combo server logged the client's peer id" \
		"\"event\":\"connection:open\",\"peerId\":\"$client_id\"" "$(cat "$server_log")"
	client "$combo wrong-peer-id" "${opts[@]}" --test wrong-peer-id
	client "$combo ping" "${opts[@]}" --test ping --count 5
	client "$combo identify" "${opts[@]}" --test identify
	expect "$combo identify lists the sink protocol" '/lp2p-test/sink/1.0.0' "$result"
	client "$combo sink 10MiB" "${opts[@]}" --test sink --size 10M
	client "$combo source 10MiB" "${opts[@]}" --test source --size 10M
	stop_server
done

# Negotiation: the server offers both of each, the client prefers the others.
if start_server negotiate --security noise,tls --muxer yamux,mplex; then
	client "negotiate tls+mplex" --security tls,noise --muxer mplex,yamux --test peer-id
	expect "negotiated /tls/1.0.0" '"encryption":"/tls/1.0.0"' "$result"
	expect "negotiated /mplex/6.7.0" '"multiplexer":"/mplex/6.7.0"' "$result"
	stop_server
fi

# Identities other than Ed25519, over noise and tls.
for key in secp256k1 RSA; do
	for sec in noise tls; do
		start_server "$key-$sec" --key-type "$key" --security "$sec" || continue
		client "$key $sec identify" --security "$sec" --test identify
		expect "$key $sec public key type" "\"publicKeyType\":\"$key\"" "$result"
		stop_server
	done
done

echo "selftest: $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
