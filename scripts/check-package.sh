#!/usr/bin/env bash
# Pack the library as npm would publish it, then lint the tarball: publint (package.json and exports)
# and @arethetypeswrong/cli (types resolve for ESM and CJS consumers, under node10/node16/bundler).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
tarball=$(npm pack --silent --pack-destination "$out" | tail -n 1)
echo "packed $tarball ($(du -h "$out/$tarball" | cut -f1))"
npx --no-install publint run "$out/$tarball" --strict
npx --no-install attw "$out/$tarball" --profile node16
