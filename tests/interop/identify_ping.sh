#!/bin/sh
# identify_ping.sh - identify, identify push and ping between lp2p and
# js-libp2p, in both directions (see tests/interop/README.md):
#
#   js -> lp2pd   peer.mjs --test identify (key, addresses, protocols, signed
#                 record; Ed25519, secp256k1 and RSA identities; yamux and
#                 mplex) and peer.mjs --test ping
#   lp2p -> js    `lp2pd ping`; idprobe (a program embedding lp2p with the
#                 identify and ping plugins) dials js and prints what its
#                 peerstore learned, the periodic ping's round trips, and
#                 the pushes in both directions after each side added a
#                 protocol at run time.
#
# Run from the build directory (make check does).  Exits 77 (skipped) when
# tests/interop/node_modules is missing, unless LP2P_INTEROP_REQUIRED=1.
set -u

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
srcdir=$(cd "$srcdir" && pwd)
builddir=$(pwd)
js=$srcdir/tests/interop/js/peer.mjs
node=$srcdir/tests/interop/node_modules/.bin/node
lp2pd=$builddir/runtime/lp2pd/lp2pd
probe=$builddir/tests/interop/idprobe

if [ ! -x "$node" ]; then
	if [ "${LP2P_INTEROP_REQUIRED:-0}" = 1 ]; then
		echo "FAIL: $node missing (run tests/interop/setup.sh)"
		exit 1
	fi
	echo "SKIP: js-libp2p not installed (run tests/interop/setup.sh)"
	exit 77
fi
for f in "$lp2pd" "$probe" "$builddir/plugins/.libs/identify.so" \
	"$builddir/plugins/.libs/ping.so"; do
	if [ ! -e "$f" ]; then
		echo "FAIL: $f not built (run from the build directory)"
		exit 1
	fi
done
LP2P_PLUGIN_PATH=$builddir/plugins/.libs
export LP2P_PLUGIN_PATH

work=$(mktemp -d "${TMPDIR:-/tmp}/lp2p-idping.XXXXXX")
pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$failed" -eq 0 ] || [ -z "${LP2P_KEEP_LOGS:-}" ]; then
		rm -rf "$work"
	else
		echo "logs kept in $work"
	fi
}
passed=0
failed=0
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() {
	echo "PASS: $1"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL: $1"
	failed=$((failed + 1))
	shift
	for f in "$@"; do
		[ -f "$f" ] && sed 's/^/    | /' "$f" | tail -n 20
	done
}

# wait_for FILE PATTERN SECONDS: until a line of FILE matches PATTERN.
wait_for() {
	i=0
	while [ "$i" -lt $(($3 * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# jcheck FILE EXPR [ARG...]: EXPR (JavaScript) is true of the JSON lines of
# FILE, given as L (array of objects); the ARGs are A[0], A[1], ...
jcheck() {
	file=$1
	expr=$2
	shift 2
	"$node" -e '
const fs = require("fs")
const L = fs.readFileSync(process.argv[1], "utf8").split("\n")
  .filter((l) => l.startsWith("{"))
  .map((l) => { try { return JSON.parse(l) } catch { return {} } })
const A = process.argv.slice(3)
const has = (list, x) => Array.isArray(list) && list.includes(x)
process.exit(eval(process.argv[2]) ? 0 : 1)' "$file" "$expr" "$@"
}

# start_lp2pd NAME KEY_TYPE: an lp2pd with identify, ping and echo on a
# free loopback port; sets lp2pd_addr (with /p2p), lp2pd_id, lp2pd_listen.
start_lp2pd() {
	cat >"$work/$1.yaml" <<EOF
identity: {key_type: $2}
listen: [/ip4/127.0.0.1/tcp/0]
plugins:
  identify: {}
  ping: {interval: 0}
  echo: {}
EOF
	"$lp2pd" -c "$work/$1.yaml" -v >"$work/$1.out" 2>"$work/$1.err" &
	pids="$pids $!"
	if ! wait_for "$work/$1.err" "listening on /ip4" 20; then
		fail "lp2pd $1 did not start" "$work/$1.err"
		return 1
	fi
	lp2pd_addr=$(sed -n 's|.*listening on \(/ip4/[^ ]*\).*|\1|p' \
		"$work/$1.err" | head -n 1)
	lp2pd_id=${lp2pd_addr##*/p2p/}
	lp2pd_listen=${lp2pd_addr%/p2p/*}
}

# start_js NAME ARGS...: a js-libp2p server; sets js_addr, js_id, js_listen.
start_js() {
	name=$1
	shift
	"$node" "$js" --listen /ip4/127.0.0.1/tcp/0 --lifetime 120 "$@" \
		>"$work/$name.out" 2>"$work/$name.err" &
	pids="$pids $!"
	if ! wait_for "$work/$name.out" '"event":"listening"' 30; then
		fail "js server $name did not start" "$work/$name.err"
		return 1
	fi
	js_addr=$(sed -n 's|.*"addrs":\["\([^"]*\)".*|\1|p' "$work/$name.out" |
		head -n 1)
	js_id=${js_addr##*/p2p/}
	js_listen=${js_addr%/p2p/*}
}

js_client() { # OUT ARGS...
	out=$1
	shift
	"$node" "$js" --timeout 30 "$@" >"$work/$out" 2>"$work/$out.err"
}

# ---- js dials lp2pd ----

for kt in ed25519:Ed25519 secp256k1:secp256k1 rsa:RSA; do
	ours=${kt%%:*}
	theirs=${kt#*:}
	start_lp2pd "lp2pd-$ours" "$ours" || continue
	if js_client "id-$ours.json" --dial "$lp2pd_addr" --test identify &&
		jcheck "$work/id-$ours.json" '
const r = L.find((x) => x.event === "result")
r && r.ok && r.peerId === A[0] && r.publicKeyType === A[1] &&
  r.agentVersion.startsWith("lp2p/") && r.protocolVersion === "ipfs/0.1.0" &&
  has(r.protocols, "/ipfs/id/1.0.0") && has(r.protocols, "/ipfs/id/push/1.0.0") &&
  has(r.protocols, "/ipfs/ping/1.0.0") && has(r.protocols, "/echo/1.0.0") &&
  has(r.listenAddrs, A[2]) && r.signedPeerRecord === true &&
  r.observedAddr.startsWith("/ip4/127.0.0.1/tcp/")' \
			"$lp2pd_id" "$theirs" "$lp2pd_listen"; then
		pass "js identifies lp2pd ($ours key): key, addresses, protocols, signed record"
	else
		fail "js identifies lp2pd ($ours key)" "$work/id-$ours.json" \
			"$work/id-$ours.json.err"
	fi
	# lp2pd identified js in turn (its debug log says so)
	if wait_for "$work/lp2pd-$ours.err" "identify: .*agent \"js-libp2p" 5; then
		pass "lp2pd ($ours key) identifies the js client"
	else
		fail "lp2pd ($ours key) identifies the js client" \
			"$work/lp2pd-$ours.err"
	fi
done

start_lp2pd lp2pd-main ed25519
for mux in yamux mplex; do
	if js_client "ping-$mux.json" --dial "$lp2pd_addr" --test ping \
		--count 5 --muxer "$mux" &&
		jcheck "$work/ping-$mux.json" '
const r = L.find((x) => x.event === "result")
r && r.ok && r.count === 5 && r.rtts.length === 5'; then
		pass "js pings lp2pd ($mux)"
	else
		fail "js pings lp2pd ($mux)" "$work/ping-$mux.json" \
			"$work/ping-$mux.json.err"
	fi
done
if js_client id-mplex.json --dial "$lp2pd_addr" --test identify \
	--muxer mplex &&
	jcheck "$work/id-mplex.json" '
const r = L.find((x) => x.event === "result")
r && r.ok && r.peerId === A[0] && has(r.protocols, "/ipfs/ping/1.0.0") &&
  r.signedPeerRecord === true' "$lp2pd_id"; then
	pass "js identifies lp2pd (mplex)"
else
	fail "js identifies lp2pd (mplex)" "$work/id-mplex.json" \
		"$work/id-mplex.json.err"
fi

# ---- lp2p dials js ----

if start_js js --identify-push --report-identify --add-protocol-after 3; then
	if "$lp2pd" ping -n 3 -i 0.2 "$js_addr" >"$work/lp2pd-ping.out" \
		2>"$work/lp2pd-ping.err" &&
		[ "$(grep -c "^32 bytes from $js_id: seq=[123] time=" \
			"$work/lp2pd-ping.out")" -eq 3 ] &&
		grep -q "^3 pings transmitted, 3 received, 0% loss" \
			"$work/lp2pd-ping.out" &&
		grep -q "^rtt min/avg/max = " "$work/lp2pd-ping.out"; then
		pass "lp2pd ping pings js"
	else
		fail "lp2pd ping pings js" "$work/lp2pd-ping.out" \
			"$work/lp2pd-ping.err"
	fi

	"$probe" --dial "$js_addr" --add-protocol /lp2p-test/late-c/1.0.0 \
		--after 1500 --duration 6500 --ping-interval 500ms \
		>"$work/probe.out" 2>"$work/probe.err"
	probe_rc=$?
	probe_id=$(sed -n 's|.*"event":"started","peerId":"\([^"]*\)".*|\1|p' \
		"$work/probe.out")
	if [ "$probe_rc" -eq 0 ] && jcheck "$work/probe.out" '
const r = L.find((x) => x.event === "identify.peer" && x.peerId === A[0])
r && r.agentVersion.startsWith("js-libp2p/") &&
  r.protocolVersion === "ipfs/0.1.0" && r.publicKeyType === "ed25519" &&
  r.keyMatchesPeerId === true && has(r.protocols, "/ipfs/ping/1.0.0") &&
  has(r.protocols, "/echo/1.0.0") && has(r.addrs, A[1]) &&
  typeof r.recordSeq === "number"' "$js_id" "$js_listen"; then
		pass "lp2p identifies js: agent, key, protocols, addresses from its signed record"
	else
		fail "lp2p identifies js" "$work/probe.out" "$work/probe.err"
	fi
	if jcheck "$work/probe.out" '
L.some((x) => x.event === "identify.peer" && x.peerId === A[0] &&
  has(x.protocols, "/lp2p-test/late-js/1.0.0"))' "$js_id"; then
		pass "js pushes a new protocol to lp2p (identify push)"
	else
		fail "js pushes a new protocol to lp2p (identify push)" \
			"$work/probe.out" "$work/js.out"
	fi
	if wait_for "$work/js.out" "late-c" 3 && jcheck "$work/js.out" '
L.some((x) => x.event === "peer:identify" && x.peerId === A[0] &&
  x.agentVersion.startsWith("lp2p/") && x.signedPeerRecord === true &&
  has(x.protocols, "/lp2p-test/late-c/1.0.0"))' "$probe_id"; then
		pass "lp2p pushes a new protocol to js (identify push)"
	else
		fail "lp2p pushes a new protocol to js (identify push)" \
			"$work/js.out" "$work/probe.out"
	fi
	if jcheck "$work/probe.out" '
L.filter((x) => x.event === "ping.rtt" && x.peerId === A[0] && x.stored &&
  x.rttUs > 0).length >= 3' "$js_id"; then
		pass "the ping plugin pings js periodically and stores the RTT"
	else
		fail "the ping plugin pings js periodically" "$work/probe.out"
	fi
fi

if "$lp2pd" ping -n 1 -W 2 /ip4/127.0.0.1/tcp/1 >"$work/noone.out" \
	2>"$work/noone.err"; then
	fail "lp2pd ping exits 1 when nobody answers" "$work/noone.out"
elif grep -q "cannot connect" "$work/noone.err"; then
	pass "lp2pd ping exits 1 when nobody answers"
else
	fail "lp2pd ping says why it failed" "$work/noone.err"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
