#!/usr/bin/env bash
# Install everything the project needs on a fresh Debian machine (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

need_apt=()
command -v arm-none-eabi-gcc >/dev/null || need_apt+=(gcc-arm-none-eabi)
[ -d /usr/lib/arm-none-eabi/newlib ] || need_apt+=(libnewlib-arm-none-eabi)
command -v espeak-ng >/dev/null || need_apt+=(espeak-ng)
[ -e /usr/include/espeak-ng/speak_lib.h ] || need_apt+=(libespeak-ng-dev)
ldconfig -p 2>/dev/null | grep -q libsndfile || need_apt+=(libsndfile1)
command -v make >/dev/null || need_apt+=(make)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${need_apt[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if ! $PY -c "import simulator, unicorn, capstone, numba, elftools, soundfile, rich, pytest" 2>/dev/null \
   || [ pyproject.toml -nt .setup-stamp ]; then
    echo "setup: installing the Python package and its dependencies" >&2
    $PY -m pip install -q --disable-pip-version-check -e ".[test]"
    touch .setup-stamp
fi
