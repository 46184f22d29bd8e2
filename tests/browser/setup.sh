#!/usr/bin/env bash
# Prepare the machine for the browser tests (make test-browser).
#
# Installs Debian's chromium and chromium-driver when they are missing. Playwright drives that
# system browser; it never downloads its own (never run `playwright install` here).
set -euo pipefail

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    echo "chromium: $(chromium --version 2>/dev/null || echo present)"
    exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "chromium is missing and this user cannot install packages:" >&2
        echo "  run 'apt-get update && apt-get install -y chromium chromium-driver' as root." >&2
        exit 2
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y chromium chromium-driver
echo "chromium: $(chromium --version 2>/dev/null || echo installed)"
