#!/bin/sh
# Install the interop peers:
#  - js-libp2p (tests/interop/node_modules) with the system npm, pinned by
#    package-lock.json; the pinned `node` package provides Node 22 as
#    node_modules/.bin/node.  Reinstalled only when node_modules is missing
#    or was installed from a different package-lock.json (a copy of the lock
#    file is kept as a stamp).
#  - go-libp2p (go/build.sh: go/bin/lp2p-go-peer, pinned by go.sum) and
#    rust-libp2p (rust/build.sh: rust/bin/lp2p-rust-peer, pinned by
#    Cargo.lock), built with the machine's Go and Rust toolchains; their
#    build caches make a second run quick.
# Idempotent.  Fails (never skips) when a toolchain or a download is
# missing: the interop tests need every peer.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
stamp=node_modules/.lp2p-setup-stamp
node22=node_modules/.bin/node

die() {
	echo "setup.sh: $*" >&2
	exit 1
}

if ! command -v npm >/dev/null 2>&1; then
	die "npm not found; install it first (Debian: apt-get install npm)"
fi

if [ -f "$stamp" ] && cmp -s "$stamp" package-lock.json && [ -x "$node22" ]; then
	echo "setup.sh: node_modules is up to date with package-lock.json"
else
	echo "setup.sh: running npm ci in $here (npm $(npm --version 2>/dev/null))"
	rm -f "$stamp"
	# --include=dev/optional are the defaults; scripts must run: the node
	# package's install script fetches its Node 22 binary package.
	npm ci --no-audit --no-fund --loglevel=error ||
		die "npm ci failed (is the npm registry reachable?)"
	cp package-lock.json "$stamp"
	echo "setup.sh: installed node_modules"
fi

[ -x "$node22" ] ||
	die "$node22 is missing after npm ci (the node package's install script must run: is ignore-scripts set?)"
version=$("$node22" --version) || die "$node22 does not run"
case "$version" in
v22.*) echo "setup.sh: $node22 is Node $version" ;;
*) die "$node22 is $version, expected v22.x" ;;
esac

"$here/go/build.sh" || die "building the go-libp2p peer failed"
"$here/rust/build.sh" || die "building the rust-libp2p peer failed"
