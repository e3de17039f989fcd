#!/usr/bin/env bash
# Installs Debian's strace for the tests that prove the service opens no socket beyond
# loopback (tests/service/test_no_network.py traces gunicorn and the video worker).
# Not needed to run the product. Idempotent: does nothing when strace is already on PATH.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/install-debian-package.sh" strace strace -V
