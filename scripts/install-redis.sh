#!/usr/bin/env bash
# Installs Debian's redis-server for the gateway tests that run several gateways on one
# Redis (the tests start their own server on a free loopback port; nothing is started
# here). Not needed to run the product on one machine.
# Idempotent: does nothing when redis-server is already on PATH.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/install-debian-package.sh" redis-server redis-server
