#!/usr/bin/env bash
# The student Flatten -> Dense(32) -> Dense(10) distilled from the demo CNN vs the same student
# trained on labels alone (same initial weights, batch order and epochs), seeds 1-3
# (docs/distillation.md). Extra arguments: --epochs N --temperature T --alpha A.
source "$(dirname "$0")/prune_common.sh"
"$bench" distill --cache "$cache" "$@"
