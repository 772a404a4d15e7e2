#!/usr/bin/env bash
# Regenerates the golden raw files of this folder with the installed ngspice (made with ngspice-39).
set -euo pipefail
cd "$(dirname "$0")"
rm -f ./*.raw
ngspice -b rc.cir > /dev/null
ls -l ./*.raw
