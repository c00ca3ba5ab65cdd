#!/usr/bin/env bash
# Install GridScope and start it on the demo city (built on first run, about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -r requirements.txt
python3 -m analytics demo --if-missing
exec python3 -m ui.serve "$@"
