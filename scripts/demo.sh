#!/usr/bin/env bash
# The main job for now: generate a fresh SMK, split it 2x(5-of-7), verify each
# set, recombine from five shares of set B, and show the receipt.
set -euo pipefail
smk=${1:?usage: demo.sh PATH/TO/smk}
"$smk" --version
