#!/bin/sh
# Build lp2p-go-peer (go-libp2p, pinned by go.mod and go.sum) into
# tests/interop/go/bin/.  Idempotent: go's build cache makes a second run
# quick.  -mod=readonly: go.sum is the pin, nothing is upgraded or added.
# Environment: GO (default go), and go's own (GOMODCACHE, GOCACHE,
# GOPROXY, GOFLAGS).
set -u

here=$(cd "$(dirname "$0")" && pwd)
# the usual install place of the official toolchain, for a shell whose
# PATH does not name it
[ -x /usr/local/go/bin/go ] && PATH=$PATH:/usr/local/go/bin
go=${GO:-go}

if ! command -v "$go" >/dev/null 2>&1; then
	echo "go/build.sh: FAIL: '$go' is not installed (go-libp2p v0.52.0 needs go >= 1.26)" >&2
	exit 1
fi
start=$(date +%s)
cd "$here" || exit 1
# never fetch a newer toolchain: go.mod's go line must fit the local one
export GOTOOLCHAIN=local
if ! "$go" mod download; then
	echo "go/build.sh: FAIL: downloading the modules of go.mod failed" \
		"(network, or GOPROXY=$("$go" env GOPROXY))" >&2
	exit 1
fi
mid=$(date +%s)
if ! "$go" build -mod=readonly -trimpath -o bin/lp2p-go-peer .; then
	echo "go/build.sh: FAIL: go build" >&2
	exit 1
fi
end=$(date +%s)
echo "go/build.sh: bin/lp2p-go-peer ($("$go" version | cut -d' ' -f3)):" \
	"$((end - start)) s (modules $((mid - start)) s, build $((end - mid)) s)"
