#!/usr/bin/env bash
# Idle resident memory of `faultline serve`: build the binary, start it on
# the embedded SQLite file in a temporary directory with the example
# config (nothing is pinged until someone asks), wait, and read VmRSS.
# Usage: scripts/bench-serve-rss.sh [seconds-idle]
set -euo pipefail
cd "$(dirname "$0")/.."
idle=${1:-10}
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
CGO_ENABLED=0 go build -trimpath -o "$dir/faultline" ./cmd/faultline
cp faultline.example.yaml "$dir/faultline.yaml"
cd "$dir"
SLACK_BOT_TOKEN=xoxb-idle SLACK_SIGNING_SECRET=idle LISTEN_ADDR=127.0.0.1:0 \
  SLACK_API_URL=http://127.0.0.1:9/api/ ./faultline serve 2>serve.log &
pid=$!
sleep "$idle"
grep -E 'VmRSS|VmHWM' /proc/$pid/status
echo "binary: $(du -h faultline | cut -f1)"
