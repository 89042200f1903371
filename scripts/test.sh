#!/usr/bin/env bash
# Set up (if needed), build the firmware and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
make -s -j2 -C firmware
exec ${PYTHON:-python3} -m pytest "$@"
