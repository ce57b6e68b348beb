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
# The custom layers register with tf.serialization at import time: that code must stay in the files that
# package.json's "sideEffects" lists, or a bundler may drop it from a bare `import 'yolov2-ts/models'`.
# (The data-parallel worker script registers them itself: users never import it, Node runs it.)
registering=$(grep -l "registerClass" dist/*.js dist/*.cjs dist/*/*.js dist/*/*.cjs 2>/dev/null | grep -v "/gradient-worker\." | sort | tr '\n' ' ')
if [ "$registering" != "dist/models/index.cjs dist/models/index.js " ]; then
  echo "layer registration moved: found in '$registering', package.json sideEffects lists dist/models/index.{js,cjs}" >&2
  exit 1
fi
echo "layer registration only in the side-effectful models entry"
# The worker thread's script is loaded by path at run time: check both builds start it in plain Node.
node scripts/smoke-workers.mjs esm
node scripts/smoke-workers.mjs cjs
