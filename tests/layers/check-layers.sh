#!/bin/sh
# check-layers.sh - the layering in ARCHITECTURE.md is true of the includes.
#
# The "## Layers" block of ARCHITECTURE.md lists the layers from the top
# down, one line each; a line names its directories (runtime/x).  A file
# under runtime/x may include its own directory's headers and those of
# layers below, never one beside it or above: a "y/..." include where y
# does not rank below x fails the test, naming the file, the line and both
# layers.  And runtime/swarm names no transport, security protocol or
# muxer (it sees them through their tables).
set -eu
top=${srcdir:-.}
arch="$top/ARCHITECTURE.md"
[ -f "$arch" ] || { echo "check-layers: $arch not found" >&2; exit 99; }

# rank of each directory: the bottom line is 1
ranks=$(awk '
	/^## Layers/ { on = 1; next }
	on && /^## / { exit }
	on && /runtime\/[a-z0-9_]+/ {
		n++
		line = $0
		while (match(line, /runtime\/[a-z0-9_]+/)) {
			dir[n, ++k[n]] = substr(line, RSTART + 8, RLENGTH - 8)
			line = substr(line, RSTART + RLENGTH)
		}
	}
	END {
		for (i = 1; i <= n; i++)
			for (j = 1; j <= k[i]; j++)
				print dir[i, j], n - i + 1
	}' "$arch")
[ -n "$ranks" ] || { echo "check-layers: no layers in $arch" >&2; exit 99; }

rank_of() {
	echo "$ranks" | awk -v d="$1" '$1 == d { print $2; found = 1 } END { if (!found) print "" }'
}

fail=0
for dir in "$top"/runtime/*/; do
	name=$(basename "$dir")
	mine=$(rank_of "$name")
	if [ -z "$mine" ]; then
		echo "runtime/$name: not in the Layers of ARCHITECTURE.md"
		fail=1
		continue
	fi
	for f in "$dir"*.c "$dir"*.h; do
		[ -f "$f" ] || continue
		grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z0-9_]*/' "$f" |
		while IFS= read -r hit; do
			line=${hit%%:*}
			inc=$(echo "$hit" | sed 's/^[^"]*"\([a-z0-9_]*\)\/.*/\1/')
			[ "$inc" = "$name" ] && continue
			theirs=$(rank_of "$inc")
			if [ -z "$theirs" ] || [ "$theirs" -ge "$mine" ]; then
				echo "runtime/$name/$(basename "$f"):$line: includes $inc/, which is not below $name"
			fi
		done
	done
done > check-layers.out 2>&1 || true
if [ -s check-layers.out ]; then
	cat check-layers.out
	fail=1
fi
rm -f check-layers.out
# the public headers stand alone
if grep -n '#[[:space:]]*include[[:space:]]*"' "$top"/sdk/include/lp2p/*.h; then
	echo "sdk/include/lp2p: a public header includes an internal one"
	fail=1
fi
# the swarm sees transports, security and muxers through their tables
# only: no file of it names one (code or comment)
if grep -n -i -w 'tcp\|noise\|tls\|yamux\|mplex' "$top"/runtime/swarm/*.[ch]; then
	echo "runtime/swarm: names a transport, security protocol or muxer"
	fail=1
fi
[ "$fail" = 0 ] && echo "check-layers: every include runs downward"
exit "$fail"
