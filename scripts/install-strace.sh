#!/usr/bin/env bash
# Installs Debian's strace for the tests that prove the service opens no socket beyond
# loopback (tests/service/test_no_network.py traces gunicorn and the video worker).
# Not needed to run the product. Idempotent: does nothing when strace is already on PATH.
set -euo pipefail

if command -v strace >/dev/null; then
  echo "strace already installed: $(strace -V | head -1)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

$SUDO apt-get -o DPkg::Lock::Timeout=300 update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y strace
strace -V | head -1
