#!/usr/bin/env bash
# The whole test suite, as CI runs it on a fresh Debian 12 machine:
#  1. install dependencies (tests/install-deps.sh);
#  2. gcc build with -Werror, `make check` (unit, CLI, plugin, fuzz-corpus
#     replay and interop tests against js-libp2p);
#  3. clang build with -Werror, `make check`;
#  4. ASan+UBSan build, `make check`;
#  5. the SDK: install into a temporary prefix and build the plugin template
#     out of tree with pkg-config, then load it with the installed lp2pd;
#  6. a short libFuzzer smoke run of every fuzz target (clang);
#  7. `make distcheck`.
# Prints "N passed, N failed" at the end; exits non-zero on any failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=${JOBS:-$(nproc)}
passed=0
failed=0
failures=()

count_results() {
	# Sum automake's per-test results of one build directory.
	local dir=$1 p f
	p=$(grep -h '^# PASS:' "$dir/test-suite.log" 2>/dev/null | awk '{s+=$3} END {print s+0}')
	f=$(grep -hE '^# (FAIL|ERROR|XPASS):' "$dir/test-suite.log" 2>/dev/null | awk '{s+=$3} END {print s+0}')
	passed=$((passed + p))
	failed=$((failed + f))
}

step() {
	local name=$1; shift
	echo "=== $name"
	local t0=$SECONDS
	if "$@"; then
		echo "=== $name: ok ($((SECONDS - t0))s)"
	else
		echo "=== $name: FAILED ($((SECONDS - t0))s)"
		failures+=("$name")
		failed=$((failed + 1))
	fi
}

build_and_check() {
	local dir=$1; shift
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" -q --enable-werror "$@" &&
	 make -s -j"$jobs" >/dev/null &&
	 make -s -j"$jobs" check) || { cat "$dir"/test-suite.log 2>/dev/null | tail -80; return 1; }
}

sdk_template() {
	local root rc=0
	root=$(mktemp -d)
	(cd build-gcc && make -s install DESTDIR="$root" >/dev/null) &&
	PKG_CONFIG_SYSROOT_DIR="$root" \
	PKG_CONFIG_PATH="$(dirname "$(find "$root" -name lp2p.pc | head -n 1)")" \
		make -s -C sdk/template BUILD="$root/template-build" &&
	sdk/template/check-installed.sh "$root" "$root/template-build" || rc=1
	rm -rf "$root"
	return $rc
}

fuzz_smoke() {
	rm -rf build-fuzz && mkdir -p build-fuzz &&
	(cd build-fuzz && "$top/configure" -q CC=clang --enable-fuzzing &&
	 make -s -j"$jobs" >/dev/null 2>&1 &&
	 make -s fuzz-smoke FUZZ_SECONDS="${FUZZ_SECONDS:-5}")
}

# The builds below are out of tree, and configure refuses a source tree
# configured in place ("source directory already configured"): a tree
# where `./configure` ran (rather than in build/, as README.md says) is
# cleaned with `make distclean` first, which also takes away objects that
# VPATH would otherwise find there.
unconfigure_source_tree() {
	[ -f config.status ] || return 0
	echo "run-all: the source tree is configured in place; make distclean"
	make -s distclean >/dev/null && [ ! -f config.status ]
}

distcheck() {
	# The tarball has no node_modules: the interop tests (which ran in the
	# three builds above) skip there instead of failing.
	(cd build-gcc &&
	 env -u LP2P_INTEROP_REQUIRED make -s -j"$jobs" distcheck >/dev/null)
}

step "install dependencies" tests/install-deps.sh
# The interop tests skip without js-libp2p; here it was just installed, so
# a skip would hide a failure.
export LP2P_INTEROP_REQUIRED=1
step "source tree not configured in place" unconfigure_source_tree
step "autoreconf" autoreconf -fi
step "gcc build + make check" build_and_check build-gcc CC=gcc
count_results build-gcc
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LP2P_NO_DLCLOSE=1  # keep plugin symbols for sanitizer reports
# clang's UBSan checks more than gcc's (it caught an offset applied to a
# NULL buffer pointer), so the clang build runs sanitized too.
step "clang ASan+UBSan build + make check" build_and_check build-clang CC=clang --enable-sanitizers
count_results build-clang
step "gcc ASan+UBSan build + make check" build_and_check build-asan CC=gcc --enable-sanitizers
count_results build-asan
unset LP2P_NO_DLCLOSE
step "SDK template against an installed lp2p" sdk_template
step "fuzz smoke (libFuzzer)" fuzz_smoke
step "make distcheck" distcheck

echo
if [ ${#failures[@]} -gt 0 ]; then
	echo "failed steps: ${failures[*]}"
fi
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
