#!/usr/bin/env bash
# Mean test accuracy (seeds 1-3) of the student distilled from the demo CNN vs trained on labels
# alone, over training lengths, temperatures and alphas (docs/distillation.md, second table).
source "$(dirname "$0")/prune_common.sh"
echo "| epochs | T | alpha | labels only | distilled | difference |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: |"
for epochs in ${EPOCHS:-5 20 40}; do
  for t in ${TEMPERATURES:-2 4 8}; do
    for alpha in ${ALPHAS:-0.1 0.5}; do
      "$bench" distill --cache "$cache" --epochs "$epochs" --temperature "$t" --alpha "$alpha" |
        awk -v e="$epochs" -v t="$t" -v a="$alpha" -F'|' '/^\| mean/ {printf "| %s | %s | %s |%s|%s|%s|\n", e, t, a, $3, $4, $5}'
    done
  done
done
