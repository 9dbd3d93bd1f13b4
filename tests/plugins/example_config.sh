#!/bin/sh
# The example configuration (conf/lp2pd.yaml) passes --check-config with the
# plugins of this build, and loads identify and ping.  Run from the build
# directory (make check does).
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
out=$(LP2P_PLUGIN_PATH=$(pwd)/plugins/.libs ./runtime/lp2pd/lp2pd \
	--check-config -c "$srcdir/conf/lp2pd.yaml" 2>&1)
rc=$?
echo "$out"
[ "$rc" -eq 0 ] || { echo "FAIL: exit status $rc"; exit 1; }
for want in "identify " "/ipfs/id/1.0.0" "/ipfs/id/push/1.0.0" "ping " \
	"/ipfs/ping/1.0.0" "configuration OK"; do
	case "$out" in
	*"$want"*) ;;
	*) echo "FAIL: '$want' missing"; exit 1 ;;
	esac
done
