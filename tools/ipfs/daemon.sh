#!/usr/bin/env bash
# Start a throw-away IPFS node (js-ipfs, serving the Kubo RPC API) for zkfed's storage tests.
#
#   tools/ipfs/daemon.sh WORK_DIR [API_PORT]
#
# The node is offline: no bootstrap peers, no preload, no MDNS, no swarm listeners; it serves
# only its RPC API on 127.0.0.1, at API_PORT or (default 0) a port the OS picks, and keeps its
# repo in WORK_DIR/repo. It prints "HTTP API listening on /ip4/127.0.0.1/tcp/PORT/http", then
# "Daemon is ready", and stops on SIGTERM. The script execs node, so its pid is the node's.
# Install the npm packages once with: npm ci --prefix tools/ipfs
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="${1:?usage: tools/ipfs/daemon.sh WORK_DIR [API_PORT]}"
port="${2:-0}"
cli="$here/node_modules/ipfs/src/cli.js"
[ -f "$cli" ] || { echo "js-ipfs is not installed: run npm ci --prefix tools/ipfs" >&2; exit 3; }

mkdir -p "$work"
cat > "$work/init-config.json" <<JSON
{
  "Addresses": {
    "Swarm": [],
    "API": "/ip4/127.0.0.1/tcp/$port",
    "Gateway": "",
    "RPC": "",
    "Delegates": []
  },
  "Bootstrap": [],
  "Discovery": {"MDNS": {"Enabled": false}, "webRTCStar": {"Enabled": false}}
}
JSON

export IPFS_PATH="$work/repo"
export NO_UPDATE_NOTIFIER=1 # js-ipfs would otherwise ask the npm registry for a newer version
exec node -r "$here/with-resolvers.cjs" "$cli" daemon \
  --init-config "$work/init-config.json" --offline --enable-preload=false
