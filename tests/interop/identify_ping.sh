#!/bin/sh
# identify_ping.sh - identify, identify push and ping between lp2p and
# another libp2p (LP2P_PEER=js, go or rust; see peer.sh), in both
# directions (see tests/interop/README.md):
#
#   peer -> lp2pd  --test identify (key, addresses, protocols, signed
#                  record; Ed25519, secp256k1, RSA and, but for js, ECDSA
#                  identities; every muxer the peer speaks) and --test ping
#   lp2p -> peer   `lp2pd ping`; idprobe (a program embedding lp2p with the
#                  identify and ping plugins) dials the peer and prints what
#                  its peerstore learned, the periodic ping's round trips,
#                  and the pushes in both directions after each side added
#                  a protocol at run time.
#
# Run from the build directory (make check does).  Exits 77 (skipped) when
# the peer is not installed, unless LP2P_INTEROP_REQUIRED=1.
set -u

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
srcdir=$(cd "$srcdir" && pwd)
builddir=$(pwd)
lp2pd=$builddir/runtime/lp2pd/lp2pd
probe=$builddir/tests/interop/idprobe

here=$srcdir/tests/interop
. "$here/peer.sh"
peer_require
echo "peer: $peer_name, muxers: $peer_muxers"
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
	if ! wait_for "$work/$1.err" "listening on /ip4" "" 20; then
		fail "lp2pd $1 did not start" "$work/$1.err"
		return 1
	fi
	lp2pd_addr=$(sed -n 's|.*listening on \(/ip4/[^ ]*\).*|\1|p' \
		"$work/$1.err" | head -n 1)
	lp2pd_id=${lp2pd_addr##*/p2p/}
	lp2pd_listen=${lp2pd_addr%/p2p/*}
}

# start_peer NAME ARGS...: a peer server; sets p_addr, p_id, p_listen.
start_peer() {
	name=$1
	shift
	peer_bg --listen /ip4/127.0.0.1/tcp/0 --lifetime 120 "$@" \
		>"$work/$name.out" 2>"$work/$name.err" &
	pids="$pids $!"
	if ! wait_for "$work/$name.out" '"event":"listening"' "" 30; then
		fail "$peer_kind server $name did not start" "$work/$name.err"
		return 1
	fi
	p_addr=$(sed -n 's|.*"addrs":\["\([^"]*\)".*|\1|p' "$work/$name.out" |
		head -n 1)
	p_id=${p_addr##*/p2p/}
	p_listen=${p_addr%/p2p/*}
}

p_client() { # OUT ARGS...
	out=$1
	shift
	peer_cmd --timeout 30 "$@" >"$work/$out" 2>"$work/$out.err"
}

# ---- the peer dials lp2pd ----

# lp2pd's key type : the peer's name for it (js makes no ECDSA peer ids)
key_types="ed25519:Ed25519 secp256k1:secp256k1 rsa:RSA"
[ "$peer_kind" = js ] || key_types="$key_types ecdsa:ECDSA"
for kt in $key_types; do
	ours=${kt%%:*}
	theirs=${kt#*:}
	start_lp2pd "lp2pd-$ours" "$ours" || continue
	if p_client "id-$ours.json" --dial "$lp2pd_addr" --test identify &&
		jcheck "$work/id-$ours.json" '
const r = L.find((x) => x.event === "result")
r && r.ok && r.peerId === A[0] && r.publicKeyType === A[1] &&
  r.agentVersion.startsWith("lp2p/") && r.protocolVersion === "ipfs/0.1.0" &&
  has(r.protocols, "/ipfs/id/1.0.0") && has(r.protocols, "/ipfs/id/push/1.0.0") &&
  has(r.protocols, "/ipfs/ping/1.0.0") && has(r.protocols, "/echo/1.0.0") &&
  has(r.listenAddrs, A[2]) && r.signedPeerRecord === (A[3] === "1") &&
  r.observedAddr.startsWith("/ip4/127.0.0.1/tcp/")' \
			"$lp2pd_id" "$theirs" "$lp2pd_listen" "$peer_records"; then
		pass "$peer_kind identifies lp2pd ($ours key): key, addresses, protocols, signed record"
	else
		fail "$peer_kind identifies lp2pd ($ours key)" "$work/id-$ours.json" \
			"$work/id-$ours.json.err"
	fi
	# lp2pd identified the peer in turn (its debug log says so)
	if wait_for "$work/lp2pd-$ours.err" "identify: .*agent \"$peer_agent" "" 5; then
		pass "lp2pd ($ours key) identifies the $peer_kind client"
	else
		fail "lp2pd ($ours key) identifies the $peer_kind client" \
			"$work/lp2pd-$ours.err"
	fi
done

start_lp2pd lp2pd-main ed25519
for mux in $peer_muxers; do
	if p_client "ping-$mux.json" --dial "$lp2pd_addr" --test ping \
		--count 5 --muxer "$mux" &&
		jcheck "$work/ping-$mux.json" '
const r = L.find((x) => x.event === "result")
r && r.ok && r.count === 5 && r.rtts.length === 5'; then
		pass "$peer_kind pings lp2pd ($mux)"
	else
		fail "$peer_kind pings lp2pd ($mux)" "$work/ping-$mux.json" \
			"$work/ping-$mux.json.err"
	fi
done
if ! peer_speaks mplex; then
	echo "($peer_name speaks no mplex)"
elif p_client id-mplex.json --dial "$lp2pd_addr" --test identify \
	--muxer mplex &&
	jcheck "$work/id-mplex.json" '
const r = L.find((x) => x.event === "result")
r && r.ok && r.peerId === A[0] && has(r.protocols, "/ipfs/ping/1.0.0") &&
  r.signedPeerRecord === (A[1] === "1")' "$lp2pd_id" "$peer_records"; then
	pass "$peer_kind identifies lp2pd (mplex)"
else
	fail "$peer_kind identifies lp2pd (mplex)" "$work/id-mplex.json" \
		"$work/id-mplex.json.err"
fi

# ---- lp2p dials the peer ----

if start_peer peer --identify-push --report-identify --add-protocol-after 3; then
	if "$lp2pd" ping -n 3 -i 0.2 "$p_addr" >"$work/lp2pd-ping.out" \
		2>"$work/lp2pd-ping.err" &&
		[ "$(grep -c "^32 bytes from $p_id: seq=[123] time=" \
			"$work/lp2pd-ping.out")" -eq 3 ] &&
		grep -q "^3 pings transmitted, 3 received, 0% loss" \
			"$work/lp2pd-ping.out" &&
		grep -q "^rtt min/avg/max = " "$work/lp2pd-ping.out"; then
		pass "lp2pd ping pings $peer_kind"
	else
		fail "lp2pd ping pings $peer_kind" "$work/lp2pd-ping.out" \
			"$work/lp2pd-ping.err"
	fi

	"$probe" --dial "$p_addr" --add-protocol /lp2p-test/late-c/1.0.0 \
		--after 1500 --duration 6500 --ping-interval 500ms \
		>"$work/probe.out" 2>"$work/probe.err"
	probe_rc=$?
	probe_id=$(sed -n 's|.*"event":"started","peerId":"\([^"]*\)".*|\1|p' \
		"$work/probe.out")
	if [ "$probe_rc" -eq 0 ] && jcheck "$work/probe.out" '
const r = L.find((x) => x.event === "identify.peer" && x.peerId === A[0])
r && r.agentVersion.startsWith(A[2]) &&
  r.protocolVersion === A[3] && r.publicKeyType === "ed25519" &&
  r.keyMatchesPeerId === true && has(r.protocols, "/ipfs/ping/1.0.0") &&
  has(r.protocols, "/echo/1.0.0") && has(r.addrs, A[1]) &&
  (typeof r.recordSeq === "number") === (A[4] === "1")' "$p_id" "$p_listen" \
		"$peer_agent" "$peer_protocol_version" "$peer_records"; then
		pass "lp2p identifies $peer_kind: agent, key, protocols, addresses (from its signed record: $peer_records)"
	else
		fail "lp2p identifies $peer_kind" "$work/probe.out" "$work/probe.err"
	fi
	if jcheck "$work/probe.out" '
L.some((x) => x.event === "identify.peer" && x.peerId === A[0] &&
  has(x.protocols, A[1]))' "$p_id" "/lp2p-test/late-$peer_kind/1.0.0"; then
		pass "$peer_kind pushes a new protocol to lp2p (identify push)"
	else
		fail "$peer_kind pushes a new protocol to lp2p (identify push)" \
			"$work/probe.out" "$work/peer.out"
	fi
	if wait_for "$work/peer.out" "late-c" "" 3 && jcheck "$work/peer.out" '
L.some((x) => x.event === "peer:identify" && x.peerId === A[0] &&
  x.agentVersion.startsWith("lp2p/") &&
  x.signedPeerRecord === (A[1] === "1") &&
  has(x.protocols, "/lp2p-test/late-c/1.0.0"))' "$probe_id" "$peer_records"; then
		pass "lp2p pushes a new protocol to $peer_kind (identify push)"
	else
		fail "lp2p pushes a new protocol to $peer_kind (identify push)" \
			"$work/peer.out" "$work/probe.out"
	fi
	if jcheck "$work/probe.out" '
L.filter((x) => x.event === "ping.rtt" && x.peerId === A[0] && x.stored &&
  x.rttUs > 0).length >= 3' "$p_id"; then
		pass "the ping plugin pings $peer_kind periodically and stores the RTT"
	else
		fail "the ping plugin pings $peer_kind periodically" "$work/probe.out"
	fi
fi

# rust-libp2p signs its record in the legacy form (README.md): lp2p
# cannot verify it, drops it with a log line, and keeps the rest of the
# answer (js-libp2p refuses the whole answer)
if [ "$peer_kind" = rust ] &&
	start_peer peer-rec --signed-peer-record; then
	"$probe" --dial "$p_addr" --duration 1500 --verbose --verbose \
		>"$work/probe-rec.out" \
		2>"$work/probe-rec.err"
	if jcheck "$work/probe-rec.out" '
const r = L.find((x) => x.event === "identify.peer" && x.peerId === A[0])
r && has(r.protocols, "/echo/1.0.0") && has(r.addrs, A[1]) &&
  r.recordSeq === undefined' "$p_id" "$p_listen" &&
		grep -q "invalid signed peer record" "$work/probe-rec.err"; then
		pass "lp2p identifies rust despite its legacy-form signed record (dropped, logged)"
	else
		fail "lp2p identifies rust with its legacy-form signed record" \
			"$work/probe-rec.out" "$work/probe-rec.err"
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
