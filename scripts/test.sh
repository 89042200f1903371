#!/usr/bin/env bash
# Set up (if needed), build the firmware and run the whole test suite in the project's venv.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$PWD/${VENV:-.venv}/bin:$PATH"
make -s -j2 -C firmware
set +e
python -m pytest "$@"
rc=$?
set -e
# pytest's 5 means "no tests collected": CI must not pass on that.
exit $rc
