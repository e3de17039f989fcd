#!/usr/bin/env bash
# Installs Debian's redis-server for the gateway tests that run several gateways on one
# Redis (the tests start their own server on a free loopback port; nothing is started
# here). Not needed to run the product on one machine.
# Idempotent: does nothing when redis-server is already on PATH.
set -euo pipefail

if command -v redis-server >/dev/null; then
  echo "redis-server already installed: $(redis-server --version)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

$SUDO apt-get -o DPkg::Lock::Timeout=300 update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y redis-server
redis-server --version
