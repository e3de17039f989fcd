#!/usr/bin/env bash
# Installs Debian's Chromium for the Playwright end-to-end tests (Playwright's own
# browser download cannot reach its host from the project's machines).
# Idempotent: does nothing when /usr/bin/chromium is already there.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/install-debian-package.sh" chromium /usr/bin/chromium
