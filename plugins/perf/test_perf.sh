#!/bin/sh
# The perf plugin and `lp2pd perf` (a `make check` test): short transfers
# both ways over yamux and mplex, lp2p against itself, and against
# js-libp2p, go-libp2p (yamux only) and rust-libp2p (its peer's own
# /perf/1.0.0, tests/interop/rust) in both directions when they are
# installed (tests/interop/setup.sh; otherwise those checks are skipped,
# or fail with LP2P_INTEROP_REQUIRED=1, as in tests/interop/run.sh).
# Also the plugin's max_download limit and the client's usage errors.
#
# Run by make from the top build directory ($srcdir set by the harness).
# Prints PASS/FAIL/SKIP per check; exits 0 or 1.  Environment:
#   LP2P_INTEROP_DIR       the directory holding js/, node_modules/,
#                          go/bin/ and rust/bin/ (default:
#                          $srcdir/tests/interop)
#   LP2P_INTEROP_REQUIRED  1: a missing peer is a failure, not a skip
set -u

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "${srcdir:-$here/../..}" && pwd)
top_builddir=$(pwd)
lp2pd=$top_builddir/runtime/lp2pd/lp2pd
LP2P_PLUGIN_PATH=$top_builddir/plugins/.libs
export LP2P_PLUGIN_PATH
interop=${LP2P_INTEROP_DIR:-$top_srcdir/tests/interop}
node=$interop/node_modules/.bin/node
js_peer=$interop/js/bench-peer.mjs
go_peer=$interop/go/bin/lp2p-go-peer
rust_peer=$interop/rust/bin/lp2p-rust-peer
size=3M
size_bytes=3145728

if [ ! -x "$lp2pd" ] || [ ! -f "$LP2P_PLUGIN_PATH/perf.so" ]; then
	echo "FAIL: run from the top build directory after make"
	exit 1
fi
# Where js-libp2p must be there (run-all.sh, CI), fail at once as
# tests/interop/run.sh does rather than pass on the lp2p half alone.
if [ "${LP2P_INTEROP_REQUIRED:-0}" = 1 ] &&
	{ [ ! -x "$node" ] || [ ! -f "$js_peer" ] || [ ! -x "$go_peer" ] ||
		[ ! -x "$rust_peer" ]; }; then
	echo "FAIL: $node, $js_peer, $go_peer or $rust_peer missing (run" \
		"tests/interop/setup.sh; LP2P_INTEROP_REQUIRED=1 makes this a" \
		"failure)"
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/lp2p-perf-test.XXXXXX") || exit 1
srv_pid=
passed=0
failed=0

stop_server() {
	[ -n "$srv_pid" ] || return 0
	kill "$srv_pid" 2>/dev/null
	i=0
	while kill -0 "$srv_pid" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$srv_pid" 2>/dev/null
	wait "$srv_pid" 2>/dev/null
	srv_pid=
}

# stop_lp2pd: stop the server; its log must hold no sanitizer report
stop_lp2pd() {
	stop_server
	if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
		"$work/lp2pd.log"; then
		cp "$work/lp2pd.log" "$work/last.lp2pd.log"
		fail "lp2pd reported a sanitizer error"
	fi
}

cleanup() {
	stop_server
	if [ $failed -gt 0 ]; then
		echo "logs kept in $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

pass() {
	passed=$((passed + 1))
	echo "PASS $*"
}

fail() {
	failed=$((failed + 1))
	echo "FAIL $*"
	for f in "$work"/last.*; do
		[ -s "$f" ] && sed 's/^/    /' "$f" | tail -n 20
	done
}

wait_line() { # FILE PATTERN
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		[ $i -ge 300 ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
}

# start_lp2pd [PLUGIN-CONFIG]: srv_pid, srv_addr
start_lp2pd() {
	cat >"$work/lp2pd.yaml" <<EOF
listen: [/ip4/127.0.0.1/tcp/0]
muxers: [yamux, mplex]
plugins:
  perf: {${1:-}}
EOF
	# empty the log here: the background child truncates it only when it
	# runs, and wait_line could meet the last server's " running " first
	: >"$work/lp2pd.log"
	"$lp2pd" -c "$work/lp2pd.yaml" >>"$work/lp2pd.log" 2>&1 &
	srv_pid=$!
	# "running" comes after the listen lines: those are whole by then
	wait_line "$work/lp2pd.log" " running " || return 1
	srv_addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$work/lp2pd.log" |
		head -n 1)
}

start_js() { # MUXER
	: >"$work/js.log" # as in start_lp2pd
	"$node" "$js_peer" --listen /ip4/127.0.0.1/tcp/0 --muxer "$1" \
		--lifetime 120 >>"$work/js.log" 2>&1 &
	srv_pid=$!
	wait_line "$work/js.log" '"listening"' || return 1
	# the line may still be half written when it is first seen
	srv_addr=
	for _ in $(seq 50); do
		srv_addr=$(sed -n 's/.*"addrs":\["\([^"]*\)".*/\1/p' "$work/js.log")
		[ -n "$srv_addr" ] && return 0
		sleep 0.1
	done
	return 1
}

# check_json NAME FILE UP DOWN: the JSON line reports those byte counts
check_json() {
	if grep -q "\"uploadBytes\":$3," "$2" &&
		grep -q "\"downloadBytes\":$4," "$2"; then
		pass "$1"
	else
		fail "$1 (bad report)"
	fi
}

# lp2p_client NAME MUXER UP DOWN: lp2pd perf against srv_addr
lp2p_client() {
	if timeout 60 "$lp2pd" perf "$srv_addr" --muxer "$2" --json \
		--upload-bytes "$3" --download-bytes "$4" \
		>"$work/last.out" 2>"$work/last.err"; then
		check_json "$1" "$work/last.out" "$5" "$6"
	else
		fail "$1 (exit $?)"
	fi
}

# ---- usage ----
"$lp2pd" perf >/dev/null 2>&1
[ $? = 2 ] && pass "lp2pd perf without an address is a usage error" ||
	fail "lp2pd perf without an address"
"$lp2pd" perf /ip4/127.0.0.1/tcp/1 --upload-bytes 12Q >/dev/null 2>&1
[ $? = 2 ] && pass "lp2pd perf rejects a bad size" ||
	fail "lp2pd perf with a bad size"
"$lp2pd" perf /ip4/127.0.0.1/tcp/1 --timeout 5 >/dev/null 2>&1
[ $? = 1 ] && pass "lp2pd perf reports a refused connection" ||
	fail "lp2pd perf against a closed port"
"$lp2pd" perf -h | grep -q "upload-bytes" && pass "lp2pd perf -h" ||
	fail "lp2pd perf -h"

# ---- lp2p against lp2p ----
if start_lp2pd; then
	for mux in yamux mplex; do
		lp2p_client "lp2p -> lp2p $mux, both ways" "$mux" "$size" \
			"$size" $size_bytes $size_bytes
	done
	lp2p_client "lp2p -> lp2p, upload only" yamux 1000000 0 1000000 0
	lp2p_client "lp2p -> lp2p, download only" yamux 0 1 0 1
	lp2p_client "lp2p -> lp2p, nothing" yamux 0 0 0 0
	if timeout 60 "$lp2pd" perf "$srv_addr" --upload-bytes 1M \
		--download-bytes 1M >"$work/last.out" 2>&1 &&
		grep -q "^upload: *1048576 bytes in .* Gbit/s" "$work/last.out" &&
		grep -q "^download: *1048576 bytes" "$work/last.out"; then
		pass "lp2pd perf text report"
	else
		fail "lp2pd perf text report"
	fi
	stop_lp2pd
else
	fail "lp2pd with the perf plugin did not start"
fi

if start_lp2pd " max_download: 1MiB "; then
	lp2p_client "max_download: 1 MiB allowed" yamux 0 1M 0 1048576
	if timeout 60 "$lp2pd" perf "$srv_addr" --download-bytes 2M \
		>"$work/last.out" 2>"$work/last.err"; then
		fail "max_download: 2 MiB must be refused"
	else
		pass "max_download: 2 MiB refused"
	fi
	stop_lp2pd
else
	fail "lp2pd with perf max_download did not start"
fi

# ---- js-libp2p, both directions ----
if [ ! -x "$node" ] || [ ! -f "$js_peer" ]; then
	echo "SKIP js-libp2p interop: $node or $js_peer missing" \
		"(run tests/interop/setup.sh; LP2P_INTEROP_REQUIRED=1 makes" \
		"this a failure)"
else
	for mux in yamux mplex; do
		if start_js "$mux"; then
			lp2p_client "lp2p -> js $mux, both ways" "$mux" "$size" \
				"$size" $size_bytes $size_bytes
			stop_server
		else
			fail "js-libp2p perf server ($mux) did not start"
		fi
	done
	if start_lp2pd; then
		for mux in yamux mplex; do
			if timeout 60 "$node" "$js_peer" --dial "$srv_addr" \
				--bench perf --muxer "$mux" --upload "$size" \
				--download "$size" >"$work/last.out" \
				2>"$work/last.err" &&
				grep -q '"ok":true' "$work/last.out"; then
				check_json "js -> lp2p $mux, both ways" \
					"$work/last.out" $size_bytes $size_bytes
			else
				fail "js -> lp2p $mux, both ways"
			fi
		done
		stop_lp2pd
	else
		fail "lp2pd with the perf plugin did not start"
	fi
fi

# ---- go-libp2p, both directions (yamux: go has no mplex) ----
if [ ! -x "$go_peer" ]; then
	echo "SKIP go-libp2p interop: $go_peer missing" \
		"(run tests/interop/setup.sh; LP2P_INTEROP_REQUIRED=1 makes" \
		"this a failure)"
else
	: >"$work/go.log"
	"$go_peer" bench --listen /ip4/127.0.0.1/tcp/0 --muxer yamux \
		--lifetime 120 >>"$work/go.log" 2>&1 &
	srv_pid=$!
	if wait_line "$work/go.log" '"listening"' &&
		srv_addr=$(sed -n 's/.*"addrs":\["\([^"]*\)".*/\1/p' "$work/go.log") &&
		[ -n "$srv_addr" ]; then
		lp2p_client "lp2p -> go yamux, both ways" yamux "$size" \
			"$size" $size_bytes $size_bytes
		lp2p_client "lp2p -> go yamux, download only" yamux 0 1M 0 1048576
	else
		fail "go-libp2p perf server did not start"
	fi
	stop_server
	if start_lp2pd; then
		if timeout 60 "$go_peer" bench --dial "$srv_addr" --bench perf \
			--muxer yamux --upload "$size" --download "$size" \
			>"$work/last.out" 2>"$work/last.err" &&
			grep -q '"ok":true' "$work/last.out"; then
			check_json "go -> lp2p yamux, both ways" \
				"$work/last.out" $size_bytes $size_bytes
		else
			fail "go -> lp2p yamux, both ways"
		fi
		stop_lp2pd
	else
		fail "lp2pd with the perf plugin did not start"
	fi
fi

# ---- rust-libp2p, both directions, yamux and mplex ----
if [ ! -x "$rust_peer" ]; then
	echo "SKIP rust-libp2p interop: $rust_peer missing" \
		"(run tests/interop/setup.sh; LP2P_INTEROP_REQUIRED=1 makes" \
		"this a failure)"
else
	: >"$work/rust.log"
	"$rust_peer" --listen /ip4/127.0.0.1/tcp/0 --muxer yamux,mplex \
		--lifetime 120 >>"$work/rust.log" 2>&1 &
	srv_pid=$!
	srv_addr=
	if wait_line "$work/rust.log" '"listening"'; then
		# the line may still be half written when it is first seen
		for _ in $(seq 50); do
			srv_addr=$(sed -n 's/.*"addrs":\["\([^"]*\)".*/\1/p' \
				"$work/rust.log")
			[ -n "$srv_addr" ] && break
			sleep 0.1
		done
	fi
	if [ -n "$srv_addr" ]; then
		for mux in yamux mplex; do
			lp2p_client "lp2p -> rust $mux, both ways" "$mux" "$size" \
				"$size" $size_bytes $size_bytes
		done
		lp2p_client "lp2p -> rust yamux, download only" yamux 0 1M 0 1048576
		lp2p_client "lp2p -> rust mplex, upload only" mplex 1M 0 1048576 0
	else
		cp "$work/rust.log" "$work/last.rust.log"
		fail "rust-libp2p perf server did not start"
		rm -f "$work/last.rust.log"
	fi
	stop_server
	if start_lp2pd; then
		for mux in yamux mplex; do
			if timeout 60 "$rust_peer" --dial "$srv_addr" --bench perf \
				--muxer "$mux" --upload "$size" --download "$size" \
				>"$work/last.out" 2>"$work/last.err" &&
				grep -q '"ok":true' "$work/last.out" &&
				grep -q "\"muxer\":\"/$mux/" "$work/last.out"; then
				check_json "rust -> lp2p $mux, both ways" \
					"$work/last.out" $size_bytes $size_bytes
			else
				fail "rust -> lp2p $mux, both ways"
			fi
		done
		stop_lp2pd
	else
		fail "lp2pd with the perf plugin did not start"
	fi
fi

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
