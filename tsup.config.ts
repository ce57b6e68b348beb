import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'models/index': 'src/models/index.ts',
    'node/index': 'src/node/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  splitting: true,
  treeshake: true,
  // import.meta.url in the CJS build (createRequire in src/node/wasm-threads.ts)
  shims: true,
  // Every TF.js package is a peer and every Node-only helper is loaded from the user's install.
  external: [/^@tensorflow\//, 'sharp', 'vega', 'vega-lite', 'fast-xml-parser', 'cli-progress'],
});
