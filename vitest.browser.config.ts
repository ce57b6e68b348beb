import { defineConfig } from 'vitest/config';

/**
 * The browser test (`npm run test:browser`): Node drives Debian's Chromium through playwright-core against
 * the example page built into runs/browser-dist/. Only test/browser/*.test.ts; no backend matrix (the test
 * sets the Node side to cpu itself).
 */
export default defineConfig({
  test: {
    include: ['test/browser/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    pool: 'forks',
  },
});
