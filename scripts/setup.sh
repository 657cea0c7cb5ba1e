#!/usr/bin/env bash
# Install what synthdata needs on a machine with only Python 3.11 and the OS: the PostgreSQL server
# binaries (Debian packages), uv, and the locked Python environment in .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
    echo "installing PostgreSQL server binaries" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql postgresql-contrib >/dev/null
fi
if ! command -v uv >/dev/null 2>&1; then
    python3 -m pip install --quiet "uv==0.13.9"
fi
uv sync --frozen --all-extras --quiet
bash scripts/setup-deploy-tools.sh
