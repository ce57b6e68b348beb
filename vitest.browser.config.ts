import { defineConfig } from 'vitest/config';

/**
 * The browser test (`npm run test:browser`): Node drives Debian's Chromium through playwright-core against
 * the example pages built into runs/browser-dist/. Only test/browser/*.test.ts, one file at a time (each
 * runs a browser; the training test is heavy); no backend matrix (the tests set the Node side to cpu).
 */
export default defineConfig({
  test: {
    include: ['test/browser/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
