#!/usr/bin/env bash
# Everything the test suite needs on a fresh Debian 12 machine (run as root, or with sudo):
#   PostgreSQL 15 + PostGIS 3 (throwaway clusters in tests), Chromium + chromedriver
#   (browser tests, static export), Noto CJK fonts (Chinese labels), GDAL tools,
#   then the project itself with its test extras.
# Safe to re-run: apt is skipped when every package is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(postgresql-15-postgis-3 chromium chromium-driver fonts-noto-cjk gdal-bin poppler-utils)
PYTHON="${PYTHON:-python3}"

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    SUDO=(sudo)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-test-deps: apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update
    "${SUDO[@]}" apt-get install -y "${missing[@]}"
else
    echo "install-test-deps: Debian packages already installed"
fi

# PostgreSQL server binaries live outside PATH on Debian; the test fixture finds them there.
if [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
    echo "install-test-deps: /usr/lib/postgresql/15/bin/initdb is missing after install" >&2
    exit 1
fi

# Debian's own python3 refuses system-wide pip installs (PEP 668); other interpreters
# (pyenv, python.org builds, virtualenvs) do not need the flag.
pip_flags=()
if "$PYTHON" -c 'import os, sys, sysconfig; sys.exit(0 if os.path.exists(os.path.join(
        sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) and sys.prefix == sys.base_prefix
        else 1)'; then
    pip_flags+=(--break-system-packages)
fi
echo "install-test-deps: pip install -e .[test] with $("$PYTHON" --version)"
"$PYTHON" -m pip install --quiet --root-user-action=ignore "${pip_flags[@]}" -e '.[test]'
