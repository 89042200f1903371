#!/usr/bin/env bash
# The main job on bundled defaults: build the firmware, make a demo clip, simulate, report.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
make -s -j2 -C firmware
mkdir -p demo
TEXT="the quick brown fox jumps over the lazy dog"
espeak-ng -v en-us -s 160 -w demo/clip.wav "$TEXT"
FW=firmware/build/aligner.elf
[ -f "$FW" ] || FW=firmware/build/hello.elf
export PATH="$PWD/${VENV:-.venv}/bin:$PATH"
exec python -m simulator.cli "$FW" --audio demo/clip.wav --text "$TEXT" --json demo/report.json --alignment-out demo/alignment.TextGrid "$@"
