#!/usr/bin/env bash
# README.md's two commands on a fresh clone, one after the other (not part
# of make check: it builds lp2p from scratch, a few minutes):
#  1. command A, the build-and-run line, as README.md gives it, with
#     `make run` stopped after lp2pd says it is running;
#  2. then the start of command B (tests/run-all.sh): autoreconf and an
#     out-of-tree configure, as its builds do ("source directory already
#     configured" when A configured in the source tree);
#  3. a source tree configured in place (`./configure` there) is cleaned
#     by run-all.sh's first step, after which an out-of-tree configure
#     works.
# The other order (B, then A) is a full run-all.sh; run it by hand.
# Usage: tests/readme-commands.sh [SOURCE-REPO] (default: this checkout's
# committed HEAD).  Exits 0 or 1.
set -uo pipefail
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
work=$(mktemp -d "${TMPDIR:-/tmp}/lp2p-readme.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
failed=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; failed=1; }

git clone -q "$src" "$work/src" || exit 1
cd "$work/src" || exit 1

# command A: the indented line of README.md that runs make run
a=$(sed -n 's/^    \(.*make run.*\)$/\1/p' README.md | head -n 1)
[ -n "$a" ] || { echo "FAIL no build-and-run command in README.md"; exit 1; }
echo "command A: $a"
a=${a//make run/timeout -s INT 20 make run}
bash -c "$a" >"$work/a.log" 2>&1
if grep -q "lp2pd .* running" "$work/a.log"; then
	pass "command A builds and runs lp2pd"
else
	fail "command A"
	tail -n 30 "$work/a.log"
fi

# command B's configure steps after A
if autoreconf -fi >"$work/b.log" 2>&1 && mkdir -p build-gcc &&
	(cd build-gcc && ../configure -q --enable-werror CC=gcc) >>"$work/b.log" 2>&1; then
	pass "after A, run-all.sh's out-of-tree configure works"
else
	fail "after A, run-all.sh's out-of-tree configure"
	tail -n 10 "$work/b.log"
fi

# an in-place configuration, then run-all.sh's first steps
rm -rf build-gcc
./configure -q >"$work/c.log" 2>&1 || { fail "./configure in place"; exit 1; }
steps=$(sed -n '/^unconfigure_source_tree()/,/^}/p' tests/run-all.sh)
if [ -n "$steps" ] &&
	bash -c "$steps"$'\n'"unconfigure_source_tree" >>"$work/c.log" 2>&1 &&
	mkdir -p build-gcc &&
	(cd build-gcc && ../configure -q CC=gcc) >>"$work/c.log" 2>&1; then
	pass "after ./configure in place, run-all.sh cleans it and configures"
else
	fail "after ./configure in place, run-all.sh's configure"
	tail -n 10 "$work/c.log"
fi
exit $failed
