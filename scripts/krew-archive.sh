#!/bin/sh
# Packs deploy/kubectl/kubectl-ctaudit into the archive the krew manifest
# (deploy/kubectl/ctaudit.krew.yaml) points at, byte for byte reproducible
# (sorted, mtime 0, root-owned, gzip without a name or time), and prints its
# sha256: the manifest's `sha256` must be that (a test checks it). Publish
# the archive as the release asset named in the manifest's `uri`.
#   scripts/krew-archive.sh OUT_DIR
set -eu
out=${1:?usage: krew-archive.sh OUT_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
tar -C "$root/deploy/kubectl" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    --mode='u=rwX,go=rX' -cf - kubectl-ctaudit | gzip -9n > "$out/kubectl-ctaudit.tar.gz"
sha256sum "$out/kubectl-ctaudit.tar.gz" | cut -d' ' -f1
