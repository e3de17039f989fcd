#!/usr/bin/env bash
# Installs one of Debian's packages unless the program it brings is already there:
#
#   scripts/install-debian-package.sh PACKAGE PROGRAM [VERSION_ARGS...]
#
# PROGRAM is looked up on PATH (or taken as a path); once it is there, PROGRAM
# VERSION_ARGS (default: --version) prints what is installed. Idempotent; uses sudo when
# not root, and waits up to 5 minutes for another apt to finish.
set -euo pipefail

package=$1
program=$2
shift 2
version_args=("$@")
[ ${#version_args[@]} -gt 0 ] || version_args=(--version)

version() { "$program" "${version_args[@]}" 2>/dev/null | head -n 1; }

if command -v "$program" >/dev/null; then
  echo "$package already installed: $(version)"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get -o DPkg::Lock::Timeout=300 update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=300 install -y "$package"
version
