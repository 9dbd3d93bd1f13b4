#!/bin/sh
# bench/run.sh - lp2p, go-libp2p and js-libp2p side by side, with the
# machine's limits measured in the same run (see bench/README.md).  Run by `make bench` from
# the top build directory; by hand: `cd BUILD && sh SRC/bench/run.sh`.
#
# Environment (all optional):
#   BENCH_SIZE            throughput transfer size (default 1G; K/M/G = KiB..)
#   BENCH_RUNS            throughput runs, the median is shown (default 3)
#   BENCH_HS_SECONDS      each handshake run (default 10)
#   BENCH_CONNS           idle connection counts (default "1000 10000")
#   BENCH_PINGS           round trips (default 1000)
#   BENCH_STREAM_SECONDS  each streams run (default 5)
#   BENCH_ONLY            sections to run (default "limits throughput
#                         handshakes memory latency streams")
#   LP2P_BUILDDIR         the top build directory (default: .)
#   BENCH_KEEP=1          keep the work directory with every log
set -u

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/.." && pwd)
top_builddir=$(cd "${LP2P_BUILDDIR:-.}" && pwd)

size_arg=${BENCH_SIZE:-1G}
runs=${BENCH_RUNS:-3}
hs_seconds=${BENCH_HS_SECONDS:-10}
conn_counts=${BENCH_CONNS:-1000 10000}
pings=${BENCH_PINGS:-1000}
stream_seconds=${BENCH_STREAM_SECONDS:-5}
only=${BENCH_ONLY:-limits throughput handshakes memory latency streams}

# The real binaries, not libtool's wrapper scripts: the RSS read from /proc
# must be the node's own.
real_bin() {
	if [ -x "$top_builddir/$1/.libs/$2" ]; then
		echo "$top_builddir/$1/.libs/$2"
	else
		echo "$top_builddir/$1/$2"
	fi
}
lp2pd=$(real_bin runtime/lp2pd lp2pd)
lp2p_bench=$(real_bin bench lp2p-bench)
tcp_limits=$top_builddir/bench/tcp-limits
LD_LIBRARY_PATH=$top_builddir/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
LP2P_PLUGIN_PATH=$top_builddir/plugins/.libs
export LD_LIBRARY_PATH LP2P_PLUGIN_PATH
interop=$top_srcdir/tests/interop
node=$interop/node_modules/.bin/node
js_peer=$interop/js/bench-peer.mjs
go_peer=$interop/go/bin/lp2p-go-peer

for f in "$lp2pd" "$lp2p_bench" "$tcp_limits" "$LP2P_PLUGIN_PATH/perf.so" \
	"$LP2P_PLUGIN_PATH/echo.so"; do
	if [ ! -x "$f" ] && [ ! -f "$f" ]; then
		echo "bench: $f is not built (run make bench)" >&2
		exit 1
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/lp2p-bench.XXXXXX") || exit 1
srv_pid=
cli_pid=
cleanup() {
	stop_client
	stop_server
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "logs kept in $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ---- helpers ----

want() {
	case " $only " in *" $1 "*) return 0 ;; esac
	return 1
}

# bytes SIZE: "1G" -> 1073741824
bytes() {
	echo "$1" | awk '{
		n = $0 + 0; u = toupper(substr($0, length(n "") + 1, 1))
		m = u == "K" ? 1024 : u == "M" ? 1048576 : u == "G" ? 1073741824 : 1
		printf "%.0f\n", n * m }'
}
size=$(bytes "$size_arg")

# field NAME LINE: a number or string field of a one-line JSON object
field() {
	printf '%s\n' "$2" |
		sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^,\"}]*\\).*/\\1/p" | head -n 1
}

# median of the numbers on stdin ("" if none)
median() {
	sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'
}

# calc EXPR: awk arithmetic, "" when an operand is empty
calc() {
	awk "BEGIN { printf \"%.6g\\n\", $1 }" 2>/dev/null
}

fmt() { # fmt NUMBER DIGITS
	[ -n "$1" ] || { echo "n/a"; return; }
	awk -v x="$1" -v d="$2" 'BEGIN { printf "%.*f\n", d, x }'
}

# ratio A B: "A/B x", n/a when either is missing or B is 0
ratio() {
	if [ -z "$1" ] || [ -z "$2" ]; then echo "n/a"; return; fi
	awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a";
		else printf "%.2fx\n", a / b }'
}

# verdict OK-CONDITION-AWK A B: "met" / "NOT met" / "n/a"
verdict() {
	if [ -z "$2" ] || [ -z "$3" ]; then echo "n/a"; return; fi
	awk -v a="$2" -v b="$3" "BEGIN { print ($1) ? \"met\" : \"NOT met\" }"
}

row() { # row LABEL LP2P GO JS RATIO-GO RATIO-JS NOTE
	printf '  %-34s %10s %10s %10s %7s %7s  %s\n' "$1" "$2" "$3" "$4" \
		"$5" "$6" "$7"
}

header() {
	printf '  %-34s %10s %10s %10s %7s %7s  %s\n' "" lp2p go-libp2p \
		js-libp2p "vs go" "vs js" "$1"
}

summary=$work/summary
note_target() { # note_target TEXT VERDICT
	printf '  %-64s %s\n' "$1" "$2" >>"$summary"
}

clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)

# srv_cpu: CPU seconds (user + system) the server used so far
srv_cpu() {
	awk -v t="$clk_tck" '{ printf "%.3f\n", ($14 + $15) / t }' \
		"/proc/$srv_pid/stat" 2>/dev/null
}

rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

stop_pid() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
stop_server() { stop_pid "$srv_pid"; srv_pid=; }
stop_client() { stop_pid "$cli_pid"; cli_pid=; }

# wait_line FILE PATTERN SECONDS: until a line matching PATTERN appears
wait_line() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		[ $i -ge $(($3 * 10)) ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 0
}

# start_lp2pd SECURITY MUXERS: srv_pid and srv_addr, or return 1
start_lp2pd() {
	cfg=$work/lp2pd-$$.yaml
	cat >"$cfg" <<EOF
listen: [/ip4/127.0.0.1/tcp/0]
security: [$1]
muxers: [$2]
log: {level: notice}
limits:
  max_connections: 200000
  max_inbound_connections: 200000
  max_pending_handshakes: 10000
  max_streams_per_connection: 10000
  max_connections_per_peer: 200000 # the memory benchmark is one peer
connection_manager: {low_water: 190000, high_water: 200000, idle_timeout: 1h}
plugins:
  perf: {}
  echo: {}
EOF
	log=$work/lp2pd.$(date +%s%N).log
	"$lp2pd" -c "$cfg" >"$log" 2>&1 &
	srv_pid=$!
	if ! wait_line "$log" " running " 10; then
		echo "  (lp2pd did not start: $(tail -n 1 "$log"))"
		stop_server
		return 1
	fi
	srv_addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$log" | head -n 1)
}

# peer_ok WHO: the peer (js or go) is installed
peer_ok() {
	case $1 in
	js) [ -n "$js_ok" ] ;;
	go) [ -n "$go_ok" ] ;;
	*) return 1 ;;
	esac
}

# run_peer FILE SECONDS WHO ARGS...: run_to for the peer's bench client
# (js/bench-peer.mjs or `lp2p-go-peer bench`: the same command line and
# JSON lines)
run_peer() {
	f=$1
	t=$2
	rp_who=$3
	shift 3
	case $rp_who in
	js) run_to "$f" "$t" "$node" "$js_peer" "$@" ;;
	go) run_to "$f" "$t" "$go_peer" bench "$@" ;;
	esac
}

# start_peer WHO SECURITY MUXER: srv_pid, srv_addr and srv_log, or return 1
start_peer() {
	peer_ok "$1" || return 1
	srv_log=$work/$1.$(date +%s%N).log
	# started directly, so that srv_pid is the server's own pid (its RSS
	# and CPU are read from /proc)
	case $1 in
	js) "$node" --expose-gc "$js_peer" --listen /ip4/127.0.0.1/tcp/0 \
		--security "$2" --muxer "$3" >"$srv_log" 2>&1 & ;;
	go) "$go_peer" bench --listen /ip4/127.0.0.1/tcp/0 \
		--security "$2" --muxer "$3" >"$srv_log" 2>&1 & ;;
	esac
	srv_pid=$!
	if ! wait_line "$srv_log" '"listening"' 30; then
		echo "  ($1-libp2p did not start: $(tail -n 1 "$srv_log"))"
		stop_server
		return 1
	fi
	srv_addr=$(sed -n 's/.*"addrs":\["\([^"]*\)".*/\1/p' "$srv_log")
}

# speaks WHO MUXER: go-libp2p has no mplex
speaks() {
	[ "$1" != go ] || [ "$2" != mplex ]
}

# peer_gc: ask the peer server to collect garbage, wait for its answer
peer_gc() {
	gc_seen=$(grep -c '"gc"' "$srv_log")
	kill -USR2 "$srv_pid"
	i=0
	while [ "$(grep -c '"gc"' "$srv_log")" -le "$gc_seen" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.5
}

# run_to FILE SECONDS CMD...: run with a time limit, stdout to FILE
run_to() {
	f=$1
	t=$2
	shift 2
	timeout -k 10 "$t" "$@" >"$f" 2>>"$work/clients.log"
}

# ---- the machine ----

js_ok=
go_ok=
if { [ -x "$node" ] && [ -x "$go_peer" ]; } ||
	"$interop/setup.sh" >"$work/setup.log" 2>&1; then
	[ -x "$node" ] && [ -f "$js_peer" ] && js_ok=1
	[ -x "$go_peer" ] && go_ok=1
fi
soft=$(ulimit -n)
hard=$(ulimit -Hn)
ulimit -n 1048576 2>/dev/null || ulimit -n "$hard" 2>/dev/null
nofile=$(ulimit -n)

echo "lp2p benchmarks ($(date -u '+%Y-%m-%d %H:%M UTC'))"
echo
echo "== machine"
echo "  cpu:      $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores"
echo "  memory:   $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "  kernel:   $(uname -sr)"
echo "  load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min; other work on the machine skews every figure)"
echo "  openssl:  $(openssl version 2>/dev/null)"
if [ -n "$js_ok" ]; then
	echo "  node:     $("$node" --version), js-libp2p $(sed -n 's/.*"libp2p": "\(.*\)".*/\1/p' "$interop/package.json")"
else
	echo "  node:     not available (tests/interop/setup.sh failed): js columns n/a"
fi
if [ -n "$go_ok" ]; then
	echo "  go:       $(go version 2>/dev/null | cut -d' ' -f3), go-libp2p $(sed -n 's|^[[:space:]]*github.com/libp2p/go-libp2p \(v[^ ]*\).*|\1|p' "$interop/go/go.mod" | head -n 1)"
else
	echo "  go:       not available (tests/interop/setup.sh failed): go columns n/a"
fi
echo "  nofile:   $nofile (was $soft, hard limit $hard)"
echo "  sizes:    throughput $size bytes x $runs runs (median), handshakes ${hs_seconds}s, conns $conn_counts, $pings pings, streams ${stream_seconds}s"
: >"$summary"

# ---- limits ----

chacha_gbps=
x25519=
ed_sign=
ed_verify=
tcp_gbps=
tcp_p50=
tcp_p99=
if want limits || want throughput || want handshakes || want latency; then
	echo
	echo "== machine limits (same run)"
	out=$(openssl speed -seconds 3 -evp chacha20-poly1305 2>/dev/null |
		awk '/^ChaCha20-Poly1305/ || /^chacha20-poly1305/ { print $NF }')
	# "5091485.83k": thousands of bytes per second, 16 KiB blocks
	chacha_gbps=$(echo "$out" | awk '{ sub(/k$/, ""); if ($0 != "") printf "%.2f\n", $0 * 1000 * 8 / 1e9 }')
	echo "  ChaCha20-Poly1305, one core, 16 KiB blocks: $(fmt "$chacha_gbps" 2) Gbit/s (openssl speed -evp chacha20-poly1305)"
	x25519=$(openssl speed -seconds 3 ecdhx25519 2>/dev/null |
		awk '/X25519/ { print $NF }' | tail -n 1)
	ed=$(openssl speed -seconds 3 ed25519 2>/dev/null | awk '/Ed25519/ { print $(NF-1), $NF }' | tail -n 1)
	ed_sign=${ed% *}
	ed_verify=${ed#* }
	echo "  X25519: $(fmt "$x25519" 0) op/s; Ed25519: $(fmt "$ed_sign" 0) sign/s, $(fmt "$ed_verify" 0) verify/s (one core)"
	for i in $(seq "$runs"); do
		run_to "$work/tcp.$i" 300 "$tcp_limits" throughput --bytes "$size" &&
			field gbps "$(cat "$work/tcp.$i")"
	done >"$work/tcp.all"
	tcp_gbps=$(median <"$work/tcp.all")
	echo "  raw TCP loopback, one connection: $(fmt "$tcp_gbps" 2) Gbit/s (median of $runs)"
	if run_to "$work/tcppp" 120 "$tcp_limits" pingpong --count "$pings" --size 32; then
		tcp_p50=$(field p50us "$(cat "$work/tcppp")")
		tcp_p99=$(field p99us "$(cat "$work/tcppp")")
	fi
	echo "  raw TCP ping-pong, 32 bytes: p50 $(fmt "$tcp_p50" 1) us, p99 $(fmt "$tcp_p99" 1) us"
fi

# ---- 1. throughput ----

# perf_runs WHO SEC MUX DIRECTION: one line per successful run against
# srv_addr: Gbit/s, and CPU seconds per GiB of client and server together
perf_runs() {
	for i in $(seq "$runs"); do
		if [ "$4" = upload ]; then up=$size down=0; else up=0 down=$size; fi
		f=$work/perf.$1.$2.$3.$4.$i
		c0=$(srv_cpu)
		if [ "$1" = lp2p ]; then
			run_to "$f" 600 "$lp2pd" perf "$srv_addr" --json \
				--security "$2" --muxer "$3" \
				--upload-bytes "$up" --download-bytes "$down"
		else
			run_peer "$f" 600 "$1" --dial "$srv_addr" \
				--bench perf --security "$2" --muxer "$3" \
				--upload "$up" --download "$down"
		fi || continue
		c1=$(srv_cpu)
		g=$(field "${4}Gbps" "$(cat "$f")")
		cc=$(field cpuSeconds "$(cat "$f")")
		echo "$g $(calc "($cc + $c1 - $c0) * 1073741824 / $size")"
	done
}

# col N FILE: the median of column N
col() {
	cut -d' ' -f"$1" "$2" | median
}

# tls_available: lp2pd starts with security [tls] and a 1-byte perf
# transfer over it works
tls_available() {
	start_lp2pd tls yamux >/dev/null 2>&1 || return 1
	run_to "$work/tlsprobe" 30 "$lp2pd" perf "$srv_addr" --security tls \
		--muxer yamux --upload-bytes 1 --download-bytes 1
	rc=$?
	stop_server
	return $rc
}

if want throughput; then
	echo
	echo "== 1. throughput: one connection, one stream, loopback, $size bytes, Gbit/s (median of $runs)"
	echo "     beside: ChaCha20-Poly1305 $(fmt "$chacha_gbps" 2) Gbit/s on one core, raw TCP $(fmt "$tcp_gbps" 2) Gbit/s"
	header "target: >= 1x go, >= 3x js"
	for combo in noise+yamux noise+mplex tls+yamux; do
		sec=${combo%+*}
		mux=${combo#*+}
		rm -f "$work"/tp.*
		if [ "$sec" = tls ] && ! tls_available; then
			echo "  $combo: tls: not available (lp2pd cannot run /tls/1.0.0 in this build)"
			continue
		fi
		if start_lp2pd "$sec" "$mux"; then
			perf_runs lp2p "$sec" "$mux" upload >"$work/tp.lp2p.up"
			perf_runs lp2p "$sec" "$mux" download >"$work/tp.lp2p.down"
			stop_server
		fi
		for who in go js; do
			speaks "$who" "$mux" || continue
			if start_peer "$who" "$sec" "$mux"; then
				perf_runs "$who" "$sec" "$mux" upload >"$work/tp.$who.up"
				perf_runs "$who" "$sec" "$mux" download >"$work/tp.$who.down"
				stop_server
			fi
		done
		for d in up down; do
			a=$(col 1 "$work/tp.lp2p.$d" 2>/dev/null)
			g=$(col 1 "$work/tp.go.$d" 2>/dev/null)
			b=$(col 1 "$work/tp.js.$d" 2>/dev/null)
			ac=$(col 2 "$work/tp.lp2p.$d" 2>/dev/null)
			gc=$(col 2 "$work/tp.go.$d" 2>/dev/null)
			bc=$(col 2 "$work/tp.js.$d" 2>/dev/null)
			v=$(verdict 'a >= 3 * b' "$a" "$b")
			note_target "throughput $combo ${d}load >= 3x js" "$v"
			if speaks go "$mux"; then
				vg=$(verdict 'a >= b' "$a" "$g")
				note_target "throughput $combo ${d}load >= 1x go" "$vg"
				v="go: $vg, js: $v"
			else
				v="js: $v (go-libp2p has no mplex)"
			fi
			row "$combo ${d}load" "$(fmt "$a" 2)" "$(fmt "$g" 2)" \
				"$(fmt "$b" 2)" "$(ratio "$a" "$g")" "$(ratio "$a" "$b")" "$v"
			row "  CPU s per GiB, both ends" "$(fmt "$ac" 3)" \
				"$(fmt "$gc" 3)" "$(fmt "$bc" 3)" "$(ratio "$gc" "$ac")" \
				"$(ratio "$bc" "$ac")" "(peer / lp2p)"
		done
	done
	echo "     CPU per GiB does not depend on other load on the machine; $(fmt "$chacha_gbps" 2) Gbit/s of"
	echo "     ChaCha20-Poly1305 is $(calc "2 * 8.5899 / $chacha_gbps" | awk '{ printf "%.3f", $1 }') s of CPU per GiB (sealed once, opened once)"
fi

# ---- 2. handshakes ----

if want handshakes; then
	echo
	echo "== 2. connection establishment: TCP + Noise + yamux, then close; handshakes/s over ${hs_seconds}s"
	bound=
	if [ -n "$x25519" ] && [ -n "$ed_verify" ]; then
		# per side: X25519 ephemeral key generation and three DH, one
		# Ed25519 verification (the static key and its signature are
		# made once per host); both sides share the cores
		cores=$(nproc)
		[ "$cores" -gt 2 ] && cores=2
		bound=$(calc "$cores / (2 * (4 / $x25519 + 1 / $ed_verify))")
		echo "     beside: crypto bound $(fmt "$bound" 0)/s ($cores cores; per side 4 X25519 at $(fmt "$x25519" 0)/s, 1 Ed25519 verify)"
	fi
	header "target: >= 1x go, >= 6x js (16 in flight)"
	crypto_us=
	[ -n "$bound" ] &&
		crypto_us=$(calc "2e6 * (4 / $x25519 + 1 / $ed_verify)")
	for k in 1 16; do
		a= g= b= acpu= gcpu= bcpu=
		if start_lp2pd noise yamux; then
			c0=$(srv_cpu)
			f=$work/hs.lp2p.$k
			if run_to "$f" $((hs_seconds + 180)) "$lp2p_bench" \
				handshakes "$srv_addr" --concurrency "$k" \
				--seconds "$hs_seconds"; then
				c1=$(srv_cpu)
				a=$(field perSecond "$(cat "$f")")
				n=$(field handshakes "$(cat "$f")")
				cc=$(field cpuSeconds "$(cat "$f")")
				[ "${n:-0}" -gt 0 ] &&
					acpu=$(calc "($cc + $c1 - $c0) * 1e6 / $n")
			fi
			stop_server
		fi
		for who in go js; do
			r= rcpu=
			if start_peer "$who" noise yamux; then
				c0=$(srv_cpu)
				f=$work/hs.$who.$k
				if run_peer "$f" $((hs_seconds + 180)) "$who" \
					--dial "$srv_addr" --bench handshakes \
					--concurrency "$k" --seconds "$hs_seconds"; then
					c1=$(srv_cpu)
					r=$(field perSecond "$(cat "$f")")
					n=$(field handshakes "$(cat "$f")")
					cc=$(field cpuSeconds "$(cat "$f")")
					[ "${n:-0}" -gt 0 ] &&
						rcpu=$(calc "($cc + $c1 - $c0) * 1e6 / $n")
				fi
				stop_server
			fi
			if [ "$who" = go ]; then g=$r gcpu=$rcpu; else b=$r bcpu=$rcpu; fi
		done
		if [ "$k" = 16 ]; then
			vg=$(verdict 'a >= b' "$a" "$g")
			vj=$(verdict 'a >= 6 * b' "$a" "$b")
			note_target "handshakes, 16 in flight >= 1x go" "$vg"
			note_target "handshakes, 16 in flight >= 6x js" "$vj"
			v="go: $vg, js: $vj"
			[ -n "$bound" ] && [ -n "$a" ] &&
				v="$v; $(calc "100 * $a / $bound" | awk '{ printf "%.0f", $1 }')% of the crypto bound"
		else
			v=
		fi
		e=$(field errors "$(cat "$work/hs.lp2p.$k" 2>/dev/null)")
		[ -n "$e" ] && [ "$e" != 0 ] && v="$v (lp2p errors: $e)"
		row "handshakes/s, $k in flight" "$(fmt "$a" 0)" "$(fmt "$g" 0)" \
			"$(fmt "$b" 0)" "$(ratio "$a" "$g")" "$(ratio "$a" "$b")" "$v"
		v=
		[ -n "$crypto_us" ] && [ -n "$acpu" ] &&
			v="crypto alone: $(fmt "$crypto_us" 0) us = $(calc "100 * $crypto_us / $acpu" | awk '{ printf "%.0f", $1 }')% of lp2p's"
		row "  CPU us per handshake, both ends" "$(fmt "$acpu" 0)" \
			"$(fmt "$gcpu" 0)" "$(fmt "$bcpu" 0)" "$(ratio "$gcpu" "$acpu")" \
			"$(ratio "$bcpu" "$acpu")" "$v"
	done
	echo "     (CPU ratios are peer / lp2p; CPU per handshake does not depend on other load on the machine)"
fi

# ---- 3. memory per idle connection ----

# hold_conns N: runs the lp2p client holding N connections to srv_addr;
# sets held (connections it reports) and the client's JSON line in ready
hold_conns() {
	held=
	ready=
	f=$work/conns.$(date +%s%N)
	"$lp2p_bench" conns "$srv_addr" --count "$1" --concurrency 16 \
		>"$f" 2>>"$work/clients.log" &
	cli_pid=$!
	if wait_line "$f" '"ready"' 600; then
		ready=$(grep '"ready"' "$f")
		held=$(field conns "$ready")
	fi
}

# established PORT: established TCP connections to the server's port
established() {
	ss -Htn state established "( sport = :$1 )" 2>/dev/null | wc -l
}

if want memory; then
	echo
	echo "== 3. memory per idle connection: RSS delta of the listener holding N idle secured, muxed (noise+yamux) connections"
	echo "     the client is lp2p-bench in every case; go and js RSS read after a forced GC"
	header "target: <= 1/4 of go, <= 1/8 of js"
	for n in $conn_counts; do
		if [ "$nofile" -lt $((n + 100)) ]; then
			row "KiB per connection, $n" "skipped" "" "" "" "" \
				"RLIMIT_NOFILE is $nofile"
			continue
		fi
		a= g= b= a_held= g_held= b_held= a_est= g_est= b_est=
		if start_lp2pd noise yamux; then
			sleep 1
			r0=$(rss_kib "$srv_pid")
			hold_conns "$n"
			sleep 2
			r1=$(rss_kib "$srv_pid")
			port=${srv_addr#/ip4/127.0.0.1/tcp/}
			port=${port%%/*}
			a_est=$(established "$port")
			a_held=$held
			[ -n "$held" ] && [ "$held" -gt 0 ] &&
				a=$(calc "($r1 - $r0) / $held")
			echo "$ready" >"$work/mem.lp2p.$n"
			stop_client
			stop_server
		fi
		for who in go js; do
			r= r_held= r_est=
			if start_peer "$who" noise yamux; then
				sleep 1
				peer_gc
				r0=$(rss_kib "$srv_pid")
				hold_conns "$n"
				sleep 2
				peer_gc
				r1=$(rss_kib "$srv_pid")
				port=${srv_addr#/ip4/127.0.0.1/tcp/}
				port=${port%%/*}
				r_est=$(established "$port")
				r_held=$held
				[ -n "$held" ] && [ "$held" -gt 0 ] &&
					r=$(calc "($r1 - $r0) / $held")
				stop_client
				stop_server
			fi
			if [ "$who" = go ]; then
				g=$r g_held=$r_held g_est=$r_est
			else
				b=$r b_held=$r_held b_est=$r_est
			fi
		done
		vg=$(verdict '4 * a <= b' "$a" "$g")
		vj=$(verdict '8 * a <= b' "$a" "$b")
		note_target "memory per idle connection ($n) <= 1/4 of go" "$vg"
		note_target "memory per idle connection ($n) <= 1/8 of js" "$vj"
		row "KiB per connection, $n" "$(fmt "$a" 2)" "$(fmt "$g" 2)" \
			"$(fmt "$b" 2)" "$(ratio "$g" "$a")" "$(ratio "$b" "$a")" \
			"go: $vg, js: $vj (ratios: peer / lp2p)"
		row "  connections held (listener sees)" \
			"${a_held:-0} (${a_est:-?})" "${g_held:-0} (${g_est:-?})" \
			"${b_held:-0} (${b_est:-?})" "" "" ""
		if [ "$n" -ge 10000 ]; then
			if [ "${a_held:-0}" -ge "$n" ] && [ "${a_est:-0}" -ge "$n" ] &&
				grep -q '"errors":0' "$work/mem.lp2p.$n"; then
				v=met
			else
				v="NOT met"
			fi
			note_target "$n concurrent connections held without errors" "$v"
		fi
	done
fi

# ---- 4. latency ----

if want latency; then
	echo
	echo "== 4. latency: $pings round trips of 32 bytes on one /echo/1.0.0 stream of an established connection, us"
	echo "     (the ping plugin is not in this tree: echo is used on both sides)"
	echo "     beside: raw TCP ping-pong p50 $(fmt "$tcp_p50" 1) us, p99 $(fmt "$tcp_p99" 1) us"
	header "target: p50 <= 40 us and <= go's"
	a50= a99= g50= g99= b50= b99=
	if start_lp2pd noise yamux; then
		if run_to "$work/ping.lp2p" 300 "$lp2p_bench" ping "$srv_addr" \
			--count "$pings" --size 32; then
			a50=$(field p50us "$(cat "$work/ping.lp2p")")
			a99=$(field p99us "$(cat "$work/ping.lp2p")")
		fi
		stop_server
	fi
	for who in go js; do
		p50= p99=
		if start_peer "$who" noise yamux; then
			if run_peer "$work/ping.$who" 300 "$who" --dial "$srv_addr" \
				--bench ping --count "$pings" --size 32; then
				p50=$(field p50us "$(cat "$work/ping.$who")")
				p99=$(field p99us "$(cat "$work/ping.$who")")
			fi
			stop_server
		fi
		if [ "$who" = go ]; then g50=$p50 g99=$p99; else b50=$p50 b99=$p99; fi
	done
	v=$(verdict 'a <= 40' "$a50" 0)
	note_target "ping p50 <= 40 us" "$v"
	vg=$(verdict 'a <= b' "$a50" "$g50")
	note_target "ping p50 <= go's" "$vg"
	v="$v; go: $vg"
	[ -n "$tcp_p50" ] && [ -n "$a50" ] &&
		v="$v; $(calc "$a50 / $tcp_p50" | awk '{ printf "%.1f", $1 }')x raw TCP (aim <= 3x)"
	row "RTT p50 (us)" "$(fmt "$a50" 1)" "$(fmt "$g50" 1)" "$(fmt "$b50" 1)" \
		"$(ratio "$g50" "$a50")" "$(ratio "$b50" "$a50")" "$v"
	row "RTT p99 (us)" "$(fmt "$a99" 1)" "$(fmt "$g99" 1)" "$(fmt "$b99" 1)" \
		"$(ratio "$g99" "$a99")" "$(ratio "$b99" "$a99")" ""
	echo "     (latency ratios are peer / lp2p: above 1x, lp2p is faster)"
fi

# ---- 5. streams ----

if want streams; then
	echo
	echo "== 5. streams: new /echo/1.0.0 streams on one connection, 32 bytes each way, closed; streams/s over ${stream_seconds}s"
	header "target: >= 1x go"
	for k in 1 16; do
		a= g= b=
		if start_lp2pd noise yamux; then
			run_to "$work/st.lp2p.$k" $((stream_seconds + 180)) \
				"$lp2p_bench" streams "$srv_addr" --concurrency "$k" \
				--seconds "$stream_seconds" &&
				a=$(field perSecond "$(cat "$work/st.lp2p.$k")")
			stop_server
		fi
		for who in go js; do
			r=
			if start_peer "$who" noise yamux; then
				run_peer "$work/st.$who.$k" $((stream_seconds + 180)) \
					"$who" --dial "$srv_addr" --bench streams \
					--concurrency "$k" --seconds "$stream_seconds" &&
					r=$(field perSecond "$(cat "$work/st.$who.$k")")
				stop_server
			fi
			if [ "$who" = go ]; then g=$r; else b=$r; fi
		done
		vg=$(verdict 'a >= b' "$a" "$g")
		note_target "streams/s, $k in flight >= 1x go" "$vg"
		row "streams/s, $k in flight" "$(fmt "$a" 0)" "$(fmt "$g" 0)" \
			"$(fmt "$b" 0)" "$(ratio "$a" "$g")" "$(ratio "$a" "$b")" "go: $vg"
	done
fi

echo
echo "== targets"
if [ -s "$summary" ]; then
	cat "$summary"
else
	echo "  (no section with a target was run)"
fi
echo "  load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if grep -q "NOT met" "$summary"; then
	echo "  some targets are not met: see bench/README.md for where the time and memory go"
fi
exit 0
