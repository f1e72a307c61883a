#!/usr/bin/env bash
# MNIST CNN test accuracy vs sparsity (50/80/90%) with magnitude pruning during fine-tuning
# (docs/pruning.md). Extra arguments go to the program, e.g. --epochs 1.
source "$(dirname "$0")/prune_common.sh"
"$bench" magnitude --cache "$cache" "$@"
