#!/usr/bin/env bash
# Installs Debian's Chromium for the Playwright end-to-end tests (Playwright's own
# browser download cannot reach its host from the project's machines).
# Idempotent: does nothing when /usr/bin/chromium is already there.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "chromium already installed: $(/usr/bin/chromium --version 2>/dev/null | tail -n 1)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

$SUDO apt-get -o DPkg::Lock::Timeout=300 update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y chromium
/usr/bin/chromium --version 2>/dev/null | tail -n 1
