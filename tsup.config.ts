import { defineConfig, type Options } from 'tsup';

const shared: Options = {
  format: ['esm', 'cjs'],
  sourcemap: true,
  target: 'es2022',
  treeshake: true,
  // import.meta.url in the CJS build (createRequire in src/node/runtime/wasm-threads.ts)
  shims: true,
  // Every TF.js package is a peer and every Node-only helper is loaded from the user's install.
  external: [/^@tensorflow\//, 'sharp', 'vega', 'vega-lite', 'fast-xml-parser', 'cli-progress'],
  // `npm run build` empties dist first; the two builds below write to it side by side
  clean: false,
};

export default defineConfig([
  {
    ...shared,
    entry: {
      index: 'src/index.ts',
      'models/index': 'src/models/index.ts',
      'node/index': 'src/node/index.ts',
    },
    dts: true,
    splitting: true,
  },
  {
    // The worker threads' scripts (GradientWorkers and startKernelThreads look for them next to the node entry).
    // Built on its own, unsplit: sharing chunks with it would move the models entry's layer registration
    // into a shared chunk of this build (package.json's sideEffects lists the models entry and the chunks).
    ...shared,
    entry: { 'node/gradient-worker': 'src/node/train/gradient-worker-thread.ts', 'node/kernel-helper': 'src/node/runtime/kernel-helper-thread.ts', 'cli/index': 'src/cli/index.ts' },
    dts: false,
    splitting: false,
  },
]);
