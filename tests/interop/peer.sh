# tests/interop/peer.sh - which libp2p implementation an interop runner
# talks to.  Sourced (not run) by run.sh, tls.sh, identify_ping.sh and
# xcheck.sh after they set $here (this directory).
#
#   LP2P_PEER=js|go|rust   the implementation (default js)
#   LP2P_INTEROP_DIR       the directory holding js/, node_modules/, go/bin/
#                          and rust/bin/ (default: this directory)
#
# Every peer has the command line and JSON-lines output of js/peer.mjs
# (see README.md); what differs is what it speaks.  Sets:
#   peer_kind       js, go or rust
#   peer_name       e.g. "go-libp2p v0.52.0"
#   peer_exe        the program, and peer_script its script argument (js)
#   peer_muxers     the muxers it speaks, most preferred first
#   peer_agent      the start of its identify agent version
#   peer_protocol_version  what its identify says as protocolVersion
#                   (optional in the spec; go-libp2p sends none)
#   peer_records    1 when it sends and reads signed peer records in the
#                   form go, js and lp2p use (rust-libp2p 0.57 uses the
#                   legacy "libp2p-routing-state" form; README.md)
#   node            Node 22 (runners check JSON with it; every peer needs it)
# peer_cmd ARGS...  runs the peer
# peer_bg ARGS... &  runs it in the background ($! is the peer)
# peer_require      exits 77 (automake's SKIP) when the peer or Node is not
#                   installed, or 1 with LP2P_INTEROP_REQUIRED=1

peer_kind=${LP2P_PEER:-js}
peer_dir=${LP2P_INTEROP_DIR:-$here}
node=$peer_dir/node_modules/.bin/node
peer_script=

# version_of FILE SED-EXPRESSION: the pinned version, for the logs
version_of() {
	sed -n "$2" "$1" 2>/dev/null | head -n 1
}

case $peer_kind in
js)
	peer_exe=$node
	peer_script=$peer_dir/js/peer.mjs
	peer_name="js-libp2p $(version_of "$peer_dir/package.json" \
		's/.*"libp2p": "\(.*\)".*/\1/p')"
	peer_muxers="yamux mplex"
	peer_agent=js-libp2p/
	peer_protocol_version=ipfs/0.1.0
	peer_records=1
	peer_setup=setup.sh
	;;
go)
	peer_exe=$peer_dir/go/bin/lp2p-go-peer
	peer_name="go-libp2p $(version_of "$peer_dir/go/go.mod" \
		's|^[[:space:]]*github.com/libp2p/go-libp2p \(v[^ ]*\).*|\1|p')"
	# go-libp2p removed mplex (v0.38)
	peer_muxers="yamux"
	peer_agent=lp2p-go-peer
	peer_protocol_version=
	peer_records=1
	peer_setup=go/build.sh
	;;
rust)
	peer_exe=$peer_dir/rust/bin/lp2p-rust-peer
	peer_name="rust-libp2p $(version_of "$peer_dir/rust/Cargo.toml" \
		's/^libp2p = .*version = "\([^"]*\)".*/\1/p')"
	peer_muxers="yamux mplex"
	peer_agent=lp2p-rust-peer
	peer_protocol_version=ipfs/0.1.0
	peer_records=0
	peer_setup=rust/build.sh
	;;
*)
	echo "FAIL: LP2P_PEER=$peer_kind: expected js, go or rust"
	exit 1
	;;
esac

peer_cmd() {
	"$peer_exe" ${peer_script:+"$peer_script"} "$@"
}

# peer_bg ARGS... &  runs the peer in the background with $! the peer
# itself: a function run with & is a subshell, and killing the subshell
# left the peer running (servers outlived their runners by minutes).
peer_bg() {
	exec "$peer_exe" ${peer_script:+"$peer_script"} "$@"
}

peer_require() {
	missing=
	[ -x "$node" ] || missing="$node (run tests/interop/setup.sh)"
	[ -x "$peer_exe" ] || missing="$peer_exe (run tests/interop/$peer_setup)"
	[ -z "$peer_script" ] || [ -f "$peer_script" ] || missing=$peer_script
	[ -n "$missing" ] || return 0
	if [ "${LP2P_INTEROP_REQUIRED:-0}" = 1 ]; then
		echo "FAIL: $peer_name: $missing is missing"
		exit 1
	fi
	echo "SKIP: $peer_name: $missing is missing" \
		"(LP2P_INTEROP_REQUIRED=1 makes this a failure)"
	exit 77
}

# peer_speaks MUXER: the peer speaks MUXER
peer_speaks() {
	case " $peer_muxers " in *" $1 "*) return 0 ;; esac
	return 1
}

# ---- what every runner uses ----

# wait_for FILE PATTERN [PID [SECONDS]]: until a line of FILE matches
# PATTERN (true), PID (if given) is gone or SECONDS (30) pass (false).
wait_for() {
	i=0
	while [ $i -lt $((${4:-30} * 10)) ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		[ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null && return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# stop_pid PID: SIGTERM, then SIGKILL after 10 s (a process that ignores
# SIGTERM); its exit status in st.
stop_pid() {
	st=0
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	st=$?
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}
