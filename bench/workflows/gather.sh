#!/usr/bin/env bash
# Rebuilds the workflow corpus of compare.py outside the repo from clones of its sources.
#   bench/workflows/gather.sh CLONES_DIR [CORPUS_DIR]
# CLONES_DIR holds one clone per repository, named owner+name (git clone --mirror will do);
# each file of sources.txt is written at CORPUS_DIR/<folder>/.github/workflows/<file name>.
set -euo pipefail
clones=${1:?usage: gather.sh CLONES_DIR [CORPUS_DIR]}
corpus=${2:-/work/corpus-workflows}
here=$(cd "$(dirname "$0")" && pwd)
n=0
while read -r folder repo commit path; do
  [[ -z "$folder" || "$folder" == \#* ]] && continue
  clone="$clones/${repo/\//+}"
  [[ -d "$clone/repo" ]] && clone="$clone/repo"
  mkdir -p "$corpus/$folder/.github/workflows"
  git -C "$clone" show "$commit:$path" > "$corpus/$folder/.github/workflows/$(basename "$path")"
  n=$((n + 1))
done < "$here/sources.txt"
echo "$n workflows in $corpus"
