#!/usr/bin/env bash
# Set up (if needed), build the firmware and run the whole test suite in the project's venv.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export PATH="$PWD/${VENV:-.venv}/bin:$PATH"
make -s -j2 -C firmware
set +e
ruff check .                # lint (rules in pyproject.toml): a finding fails CI like a test
lint=$?
python -m pytest "$@"
rc=$?
set -e
# pytest's 5 means "no tests collected": CI must not pass on that.
[ $rc -ne 0 ] && exit $rc
exit $lint
