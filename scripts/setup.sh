#!/usr/bin/env bash
# Install everything the project needs on a fresh Debian 12/13 machine (idempotent), root or not.
#
# Debian's system Python is externally managed (PEP 668): nothing is pip-installed into it.
# The Python side lives in a virtual environment, .venv/ in the repository (VENV=... to move it);
# the README's commands use .venv/bin/python and put .venv/bin (where `simulate` is) on PATH.
# Versions that results depend on are pinned in requirements.lock (used as pip constraints).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# Debian packages: the firmware toolchain, espeak-ng (demo clip, transcript phones), venv support,
# and the tools the tests drive (scripts/apt-packages.txt: gdb-multiarch, chromium, valgrind).
need_apt=()
command -v arm-none-eabi-gcc >/dev/null || need_apt+=(gcc-arm-none-eabi)
[ -d /usr/lib/arm-none-eabi/newlib ] || need_apt+=(libnewlib-arm-none-eabi)
command -v espeak-ng >/dev/null || need_apt+=(espeak-ng)
[ -e /usr/include/espeak-ng/speak_lib.h ] || need_apt+=(libespeak-ng-dev)
command -v make >/dev/null || need_apt+=(make)
command -v gcc >/dev/null || need_apt+=(gcc)
# the host build of the aligner library (tests) needs the C library headers: gcc only recommends
# libc6-dev, and apt-get below installs no recommends (Debian 13 minimal images lack it)
[ -e /usr/include/stdint.h ] || need_apt+=(libc6-dev)
command -v python3 >/dev/null || need_apt+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv)
for extra in ${SETUP_EXTRA_APT:-}; do need_apt+=("$extra"); done
if [ -f scripts/apt-packages.txt ]; then
    while read -r pkg check; do
        case "$pkg" in ''|\#*) continue;; esac
        if [ -n "${check:-}" ]; then command -v "$check" >/dev/null && continue; fi
        dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
    done < scripts/apt-packages.txt
fi
if [ ${#need_apt[@]} -gt 0 ]; then
    if [ -n "$SUDO" ] && ! command -v sudo >/dev/null; then
        echo "setup: these Debian packages are missing and this user is not root and has no sudo:" >&2
        echo "    apt-get install ${need_apt[*]}" >&2
        echo "setup: ask an administrator to run that line (as root), then run this again" >&2
        exit 1
    fi
    echo "setup: installing Debian packages: ${need_apt[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating the virtual environment $VENV" >&2
    ${PYTHON:-python3} -m venv "$VENV"
fi
PY="$VENV/bin/python"
stamp="$VENV/.h7sim-setup-stamp"
if ! "$PY" -c "import simulator, unicorn, capstone, numba, elftools, soundfile, rich, pytest" 2>/dev/null \
   || [ pyproject.toml -nt "$stamp" ] || [ requirements.lock -nt "$stamp" ]; then
    echo "setup: installing the Python package and its dependencies into $VENV" >&2
    "$PY" -m pip install -q --disable-pip-version-check -c requirements.lock -e ".[test]"
    touch "$stamp"
fi
# speedscope's web app (npm package, pinned + integrity-checked) for the profile import test
"$PY" scripts/fetch_speedscope.py >/dev/null
