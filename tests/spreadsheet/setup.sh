#!/usr/bin/env bash
# Prepare the machine for the spreadsheet tests (make test-spreadsheet).
#
# Installs Debian's LibreOffice Calc (headless) and its Python bridge when they are missing.
set -euo pipefail

if command -v soffice >/dev/null 2>&1 && /usr/bin/python3 -c "import uno" 2>/dev/null; then
    echo "libreoffice: $(soffice --version 2>/dev/null | head -1 || echo present)"
    exit 0
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "LibreOffice is missing and this user cannot install packages:" >&2
        echo "  run 'apt-get update && apt-get install -y --no-install-recommends" >&2
        echo "  libreoffice-calc-nogui python3-uno' as root." >&2
        exit 2
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends libreoffice-calc-nogui python3-uno
echo "libreoffice: $(soffice --version 2>/dev/null | head -1 || echo installed)"
