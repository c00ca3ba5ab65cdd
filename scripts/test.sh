#!/usr/bin/env bash
# Install GridScope with its test tools (pip; Debian's chromium for the browser tests, postgresql for the sync
# tests) and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "chromium is not installed: run 'sudo apt-get install chromium fonts-noto-cjk' for the browser tests" >&2
  fi
fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
  else
    echo "PostgreSQL is not installed: run 'sudo apt-get install postgresql' for the sync tests" >&2
  fi
fi
python3 -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m pytest "$@"
