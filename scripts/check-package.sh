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
# package.json's "sideEffects" lists (the models entry and the shared chunks it imports), or a bundler may
# drop it from a bare `import 'yolov2-ts/models'`. The worker scripts and the command line register them
# themselves: users never import them, Node runs them. The node entry registers them inside loadModel
# (at call time, not at import time).
registering=$(grep -l "registerClass" dist/*.js dist/*.cjs dist/*/*.js dist/*/*.cjs 2>/dev/null | grep -v -E "/(gradient-worker|kernel-helper)\.|^dist/cli/|^dist/node/index\.c?js$" | sort)
outside=$(echo "$registering" | grep -v -E '^dist/models/index\.c?js$|^dist/chunk-[A-Za-z0-9_-]+\.c?js$' || true)
if [ -n "$outside" ]; then
  echo "layer registration outside the files package.json's sideEffects lists: $outside" >&2
  exit 1
fi
node -e '
const se = require("./package.json").sideEffects;
const want = ["./dist/models/index.js", "./dist/models/index.cjs", "./dist/chunk-*.js", "./dist/chunk-*.cjs"];
if (JSON.stringify(se) !== JSON.stringify(want)) { console.error("package.json sideEffects must be " + JSON.stringify(want)); process.exit(1); }'
echo "layer registration only in side-effectful files: $(echo $registering)"
# The worker thread's script is loaded by path at run time: check both builds start it in plain Node.
node scripts/smoke-workers.mjs esm
node scripts/smoke-workers.mjs cjs
