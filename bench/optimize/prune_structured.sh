#!/usr/bin/env bash
# Structured pruning of 50% of the MNIST CNN's filters/units: inference time of the original and
# the pruned model at batch 1/64/256, and test accuracy before/after fine-tuning (docs/pruning.md).
# Timings on a machine shared with other work are provisional: run it on an idle one.
source "$(dirname "$0")/prune_common.sh"
"$bench" structured --cache "$cache" "$@"
