#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian 12 machine (as root), then run the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-test-deps.sh
exec python3 -m pytest --headless "$@"
