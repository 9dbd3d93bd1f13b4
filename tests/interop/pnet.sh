#!/bin/sh
# Private networks (libp2p PSK v1, runtime/pnet) between lp2p and another
# libp2p (LP2P_PEER=js, go or rust; see peer.sh).  lp2p always holds key K1; the
# peer holds K1, another key K2, or none:
#   0. the peers among themselves (no lp2p): a peer server with K1 and a
#      client of every installed peer (js, go, rust) with K1 (connection and
#      echo), with K2 and with none (both refused within PNET_FAIL_WITHIN
#      seconds).  `pnet.sh --peers-only` runs only this part.
#   1. lp2p dials the peer: the C client (--psk K1) runs echo against a
#      peer server with K1 (the server must log the connection), and fails
#      quickly against servers with K2 and with none; lp2pd (pnet K1,
#      bootstrap: the server) must log a line with "private network" and
#      the server must see no connection.
#   2. the peer dials lp2p: lp2pd (pnet K1, the echo plugin) and the peer's
#      client with K1 (echo), K2 and none (refused quickly); lp2pd logs
#      "private network" for each refused one and stops cleanly.
# Prints PASS/FAIL per check; exits 0, 1, or 77 (SKIP: the peer is not
# installed or has no --psk, unless LP2P_INTEROP_REQUIRED=1).
#
# make's wrapper (tests/interop/pnet-PEER.test) sets LP2PD, LP2P_BUILDDIR
# and LP2P_PLUGIN_PATH; by hand, from a build directory:
#   LP2P_PEER=go SRC/tests/interop/pnet.sh [--peers-only]
# Environment: PNET_FAIL_WITHIN (seconds a refused connection may take,
# default 10: go-libp2p's dialer gives security negotiation 5 s),
# PNET_ECHO_SIZE (default 4M), LP2P_INTEROP_KEEP=1 keeps the logs.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top_builddir=$(cd "${LP2P_BUILDDIR:-.}" && pwd)
lp2pd=${LP2PD:-$top_builddir/runtime/lp2pd/lp2pd}
client=$top_builddir/tests/interop/c/client
LP2P_PLUGIN_PATH=${LP2P_PLUGIN_PATH:-$top_builddir/plugins/.libs}
export LP2P_PLUGIN_PATH
fail_within=${PNET_FAIL_WITHIN:-10}
size=${PNET_ECHO_SIZE:-4M}
peers_only=0
[ "${1:-}" = --peers-only ] && peers_only=1

. "$here/peer.sh"
peer_require
if [ $peers_only = 0 ]; then
	for b in "$client" "$lp2pd"; do
		[ -x "$b" ] || { echo "FAIL: $b is not built (run make check from the build directory)"; exit 1; }
	done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lp2p-pnet.XXXXXX") || exit 1
pass=0
fail=0
server=
daemon=

# stop_lp2pd LABEL: stop lp2pd; it must exit 0 and log that it stopped
stop_lp2pd() {
	stop_pid "$daemon"
	daemon=
	if [ $st -eq 0 ] && grep -q 'lp2pd stopped' "$d_log"; then
		ok "lp2pd ($1) stopped cleanly"
	else
		ko "lp2pd ($1) stopped with status $st"
		show "$d_log"
	fi
}

cleanup() {
	stop_pid "$server"
	stop_pid "$daemon"
	server=
	daemon=
}
finish() {
	cleanup
	if [ "${LP2P_INTEROP_KEEP:-0}" = 1 ] || [ $fail -gt 0 ]; then
		echo "logs kept in $work"
	else
		rm -rf "$work"
	fi
}
trap finish EXIT
trap 'exit 1' INT TERM HUP

ok() {
	pass=$((pass + 1))
	echo "PASS: $*"
}

ko() {
	fail=$((fail + 1))
	echo "FAIL: $*"
}

# show FILE...: the end of each file, indented
show() {
	for f in "$@"; do
		[ -s "$f" ] && tail -n 15 "$f" | sed 's/^/    /'
	done
	return 0
}

# A fresh PSK v1 key file (mode 0600, as lp2pd requires).
make_key() {
	(umask 077
	 { printf '/key/swarm/psk/1.0.0/\n/base16/\n'
	   od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
	   echo; } >"$1")
}
make_key "$work/k1.key"
make_key "$work/k2.key"
runs=0 # numbers every server and client log

# kname KEY: K1, K2 or none, for the labels
kname() {
	case $1 in k1) echo K1 ;; k2) echo K2 ;; *) echo "$1" ;; esac
}

# psk_args KEY: the --psk option for K1, K2 or none
psk_args() {
	case $1 in
	none) ;;
	*) echo "--psk $work/$1.key" ;;
	esac
}

# client_cmd KIND: a peer client's program (empty when not installed)
client_cmd() {
	case $1 in
	js) [ -x "$node" ] && [ -f "$peer_dir/js/peer.mjs" ] &&
		echo "$node $peer_dir/js/peer.mjs" ;;
	go) [ -x "$peer_dir/go/bin/lp2p-go-peer" ] &&
		echo "$peer_dir/go/bin/lp2p-go-peer" ;;
	rust) [ -x "$peer_dir/rust/bin/lp2p-rust-peer" ] &&
		echo "$peer_dir/rust/bin/lp2p-rust-peer" ;;
	esac
}

# start_server KEY: a peer server holding KEY; sets server, s_out, s_addr
start_server() {
	s_out=$work/server-$1-$runs.out
	runs=$((runs + 1))
	# shellcheck disable=SC2046
	peer_bg --listen /ip4/127.0.0.1/tcp/0 $(psk_args "$1") --lifetime 600 \
		>"$s_out" 2>"$s_out.err" &
	server=$!
	if ! wait_for "$s_out" '"event":"listening"' "$server"; then
		ko "$peer_kind server ($1) did not start"
		show "$s_out.err"
		stop_pid "$server"
		server=
		return 1
	fi
	s_addr=$(sed -n 's/.*"addrs":\["\([^"]*\)".*/\1/p' "$s_out" | head -n 1)
}

# expect RESULT LABEL OUT RC MS: check a client run; RESULT is ok (passed)
# or refused (failed within fail_within seconds)
expect() {
	if [ "$1" = ok ]; then
		if [ "$4" = 0 ] && grep -q '"ok":true' "$3"; then
			ok "$2 ($5 ms)"
		else
			ko "$2: expected a connection and an echo (exit $4, $5 ms)"
			show "$3" "$3.err"
		fi
	elif [ "$4" != 0 ] && [ "$5" -le $((fail_within * 1000)) ] &&
		! grep -q '"ok":true' "$3"; then
		ok "$2 refused ($5 ms)"
	else
		ko "$2: expected a refusal within $fail_within s (exit $4, $5 ms)"
		show "$3" "$3.err"
	fi
}

# peer_client KIND KEY ADDR LABEL EXPECT: a peer's client runs echo
peer_client() {
	out=$work/client-$1-$2-$runs.out
	runs=$((runs + 1))
	t0=$(now_ms)
	# shellcheck disable=SC2046
	timeout -k 5 60 $(client_cmd "$1") --dial "$3" --test echo \
		--size "$size" $(psk_args "$2") --timeout 30 >"$out" 2>"$out.err"
	rc=$?
	expect "$5" "$4" "$out" $rc $(($(now_ms) - t0))
	c_peer=$(sed -n 's/.*"localPeerId":"\([^"]*\)".*/\1/p' "$out" | head -n 1)
}

echo "peer: $peer_name; lp2p holds K1; refusals within $fail_within s"

# ---- 0. the peers among themselves ----
clients=
for k in js go rust; do
	[ -n "$(client_cmd $k)" ] && clients="$clients $k"
done
if start_server k1; then
	for c in $clients; do
		peer_client "$c" k1 "$s_addr" "peers: $c (K1) -> $peer_kind (K1) echo" ok
		# How fast the peers refuse each other is theirs (a listener
		# that waits for the dialer's header waits for its own
		# timeout, up to 30 s): checked with --peers-only only.
		[ $peers_only = 1 ] || continue
		peer_client "$c" k2 "$s_addr" "peers: $c (K2) -> $peer_kind (K1)" refused
		if [ "$c" = rust ] && [ "$peer_kind" = rust ]; then
			# the keyless rust dialer reads the server's nonce as a
			# multistream length and both wait for the transport
			# timeout (30 s) about 2 runs in 5; peers' own matter
			echo "KNOWN: peers: rust (none) -> rust (K1) may take 30 s; not run"
		else
			peer_client "$c" none "$s_addr" "peers: $c (none) -> $peer_kind (K1)" refused
		fi
	done
	n=$(grep -c '"event":"connection:open"' "$s_out")
	if [ "$n" -eq "$(echo $clients | wc -w)" ]; then
		ok "peers: the $peer_kind server saw only the K1 clients ($n)"
	else
		ko "peers: the $peer_kind server saw $n connections, expected $(echo $clients | wc -w)"
		show "$s_out"
	fi
	stop_pid "$server"
	server=
fi

if [ $peers_only = 1 ]; then
	echo "$pass passed, $fail failed"
	[ $fail -eq 0 ]
	exit $?
fi

# lp2pd (pnet K1) with the echo plugin; extra YAML lines from $1
start_lp2pd() {
	d_cfg=$work/lp2pd-$1.yaml
	d_log=$work/lp2pd-$1.log
	{
		echo "listen: [/ip4/127.0.0.1/tcp/0]"
		echo "security: [noise]"
		echo "muxers: [yamux, mplex]"
		echo "plugins:"
		echo "  echo: {}"
		echo "pnet:"
		echo "  key_file: $work/k1.key"
		[ -n "${2:-}" ] && printf '%s\n' "$2"
	} >"$d_cfg"
	"$lp2pd" -c "$d_cfg" -v >"$d_log" 2>&1 &
	daemon=$!
	if ! wait_for "$d_log" 'listening on /ip4/' "$daemon"; then
		ko "lp2pd ($1) did not start"
		show "$d_log"
		stop_pid "$daemon"
		daemon=
		return 1
	fi
	d_addr=$(sed -n 's/.*listening on \(\/ip4\/[^ ]*\).*/\1/p' "$d_log" | head -n 1)
}

# ---- 1. lp2p dials the peer ----
for k in k1 k2 none; do
	start_server $k || continue
	out=$work/c-$k.out
	t0=$(now_ms)
	timeout -k 5 60 "$client" --dial "$s_addr" --muxer yamux --test echo \
		--size "$size" --psk "$work/k1.key" --timeout 30 >"$out" 2>"$out.err"
	rc=$?
	ms=$(($(now_ms) - t0))
	if [ $k = k1 ]; then
		expect ok "lp2p (K1) -> $peer_kind (K1) echo" "$out" $rc $ms
		if grep -q '"event":"connection:open"' "$s_out"; then
			ok "$peer_kind (K1) saw lp2p connect"
		else
			ko "$peer_kind (K1) saw no connection"
			show "$s_out"
		fi
	else
		expect refused "lp2p (K1) -> $peer_kind ($(kname $k))" "$out" $rc $ms
		# lp2pd dials the same server as its bootstrap peer
		if start_lp2pd "dial-$k" "bootstrap: [$s_addr]"; then
			if wait_for "$d_log" 'private network' "$daemon" "$fail_within"; then
				ok "lp2pd (K1) dialing $peer_kind ($(kname $k)) logged: $(grep -m 1 'private network' "$d_log" | cut -c 1-160)"
			else
				ko "lp2pd (K1) dialing $peer_kind ($(kname $k)): no 'private network' line within $fail_within s"
				show "$d_log"
			fi
			stop_lp2pd "dialing $peer_kind ($(kname $k))"
		fi
		if grep -q '"event":"connection:open"' "$s_out"; then
			ko "$peer_kind ($(kname $k)) accepted a connection from lp2p (K1)"
			show "$s_out"
		else
			ok "$peer_kind ($(kname $k)) saw no connection from lp2p (K1)"
		fi
	fi
	stop_pid "$server"
	server=
done

# ---- 2. the peer dials lp2p ----
if start_lp2pd listen; then
	peer_client "$peer_kind" k1 "$d_addr" "$peer_kind (K1) -> lp2p (K1) echo" ok
	good_peer=$c_peer
	peer_client "$peer_kind" k2 "$d_addr" "$peer_kind (K2) -> lp2p (K1)" refused
	bad_peers=$c_peer
	peer_client "$peer_kind" none "$d_addr" "$peer_kind (none) -> lp2p (K1)" refused
	bad_peers="$bad_peers $c_peer"
	sleep 1
	n=$(grep -c 'private network' "$d_log")
	if [ "$n" -ge 2 ]; then
		ok "lp2pd logged 'private network' for the refused peers: $(grep -m 1 'private network' "$d_log" | cut -c 1-160)"
	else
		ko "lp2pd logged $n 'private network' lines, expected one per refused peer (2)"
		show "$d_log"
	fi
	# the upgrade's "ready" line names the peer
	if [ -n "$good_peer" ] && grep 'ready (' "$d_log" | grep -q -- "$good_peer"; then
		ok "lp2pd upgraded the K1 peer's connection"
	else
		ko "lp2pd did not upgrade the K1 peer's connection ($good_peer)"
	fi
	for p in $bad_peers; do
		if grep 'ready (' "$d_log" | grep -q -- "$p"; then
			ko "lp2pd upgraded a connection from a peer without K1 ($p)"
		else
			ok "lp2pd upgraded no connection from $p"
		fi
	done
	stop_lp2pd listening
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
