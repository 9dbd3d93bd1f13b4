#!/bin/sh
# bench/ab.sh - lp2p against lp2p: two build directories (A = before a
# change, B = after) measured in turns in one run, so that the machine's
# load falls on both alike.  For a change to a hot path (read/write,
# handshakes, muxers); see bench/README.md.
#
#   sh bench/ab.sh BUILD-A BUILD-B
#
# Each round runs A then B: throughput (noise+yamux, upload and download
# of AB_SIZE), handshakes/s and streams/s with 16 in flight, ping RTT
# p50.  Prints every figure and, at the end, the median of each for A and
# B and B/A.  Environment: AB_ROUNDS (default 3), AB_SIZE (default 1G),
# AB_SECONDS (handshakes and streams runs, default 5), AB_MUXER (yamux).
set -u

[ $# -eq 2 ] || { echo "usage: sh bench/ab.sh BUILD-A BUILD-B" >&2; exit 2; }
rounds=${AB_ROUNDS:-3}
size=${AB_SIZE:-1G}
secs=${AB_SECONDS:-5}
muxer=${AB_MUXER:-yamux}
work=$(mktemp -d "${TMPDIR:-/tmp}/lp2p-ab.XXXXXX") || exit 1
srv=
trap '[ -n "$srv" ] && kill "$srv" 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP

# bin DIR SUBDIR NAME: the real binary, not libtool's wrapper
bin() {
	if [ -x "$1/$2/.libs/$3" ]; then echo "$1/$2/.libs/$3"; else echo "$1/$2/$3"; fi
}

field() {
	sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p" "$2" | head -n 1
}

median() {
	sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'
}

cat >"$work/lp2pd.yaml" <<EOF
listen: [/ip4/127.0.0.1/tcp/0]
security: [noise]
muxers: [$muxer]
log: {level: notice}
limits:
  max_connections: 200000
  max_inbound_connections: 200000
  max_pending_handshakes: 10000
  max_streams_per_connection: 10000
  max_connections_per_peer: 200000
connection_manager: {low_water: 190000, high_water: 200000, idle_timeout: 1h}
plugins:
  perf: {}
  echo: {}
EOF

# one_round LABEL BUILD: a line per figure into $work/LABEL.*
one_round() {
	label=$1
	b=$(cd "$2" && pwd)
	lp2pd=$(bin "$b" runtime/lp2pd lp2pd)
	lb=$(bin "$b" bench lp2p-bench)
	LD_LIBRARY_PATH=$b/.libs LP2P_PLUGIN_PATH=$b/plugins/.libs \
		"$lp2pd" -c "$work/lp2pd.yaml" >"$work/srv.log" 2>&1 &
	srv=$!
	i=0
	until grep -q " running " "$work/srv.log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 100 ] && { echo "$label: lp2pd did not start"; return 1; }
		sleep 0.1
	done
	addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$work/srv.log" | head -n 1)
	export LD_LIBRARY_PATH=$b/.libs
	"$lp2pd" perf "$addr" --json --muxer "$muxer" --upload-bytes "$size" \
		--download-bytes 0 >"$work/o" 2>/dev/null &&
		field uploadGbps "$work/o" >>"$work/$label.up"
	"$lp2pd" perf "$addr" --json --muxer "$muxer" --upload-bytes 0 \
		--download-bytes "$size" >"$work/o" 2>/dev/null &&
		field downloadGbps "$work/o" >>"$work/$label.down"
	"$lb" handshakes "$addr" --concurrency 16 --seconds "$secs" \
		>"$work/o" 2>/dev/null && field perSecond "$work/o" >>"$work/$label.hs"
	"$lb" streams "$addr" --concurrency 16 --seconds "$secs" \
		>"$work/o" 2>/dev/null && field perSecond "$work/o" >>"$work/$label.st"
	"$lb" ping "$addr" --count 1000 --size 32 >"$work/o" 2>/dev/null &&
		field p50us "$work/o" >>"$work/$label.rtt"
	unset LD_LIBRARY_PATH
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	srv=
	printf '  %s: up %s, down %s Gbit/s; %s handshakes/s; %s streams/s; p50 %s us\n' \
		"$label" "$(tail -n 1 "$work/$label.up" 2>/dev/null)" \
		"$(tail -n 1 "$work/$label.down" 2>/dev/null)" \
		"$(tail -n 1 "$work/$label.hs" 2>/dev/null)" \
		"$(tail -n 1 "$work/$label.st" 2>/dev/null)" \
		"$(tail -n 1 "$work/$label.rtt" 2>/dev/null)"
}

echo "lp2p A/B ($(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "  A: $1"
echo "  B: $2"
for r in $(seq "$rounds"); do
	echo "round $r"
	one_round A "$1"
	one_round B "$2"
done
echo "medians            A          B        B/A"
for k in up:upload_Gbit/s down:download_Gbit/s hs:handshakes/s st:streams/s rtt:RTT_p50_us; do
	f=${k%%:*}
	a=$(median <"$work/A.$f" 2>/dev/null)
	b=$(median <"$work/B.$f" 2>/dev/null)
	awk -v n="${k#*:}" -v a="$a" -v b="$b" 'BEGIN {
		printf "  %-16s %9s %9s %9s\n", n, a, b,
			(a > 0 && b != "") ? sprintf("%.2f", b / a) : "n/a" }'
done
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
