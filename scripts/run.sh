#!/usr/bin/env bash
# Install GridScope and start it on the demo city (built on first run, about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r requirements.txt
python3 -m analytics demo --if-missing
# Binds 127.0.0.1 (the local demo, no sign-in) unless --server.address is given; on any other
# address it refuses to start without a users file (README: Deploying on an office network).
exec python3 -m ui.serve "$@"
