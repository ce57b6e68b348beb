import { defineConfig } from 'vitest/config';

/**
 * The whole unit suite runs once per backend (a backend matrix): `cpu` and `wasm`.
 * `test/setup/backend.ts` reads YOLOV2_TEST_BACKEND, registers gradients and activates the backend.
 * Run one leg with `npx vitest run --project cpu`.
 */
const backends = ['cpu', 'wasm'] as const;

export default defineConfig({
  test: {
    projects: backends.map((backend) => ({
      test: {
        name: backend,
        include: ['test/**/*.test.ts'],
        exclude: ['test/browser/**'],
        setupFiles: ['test/setup/backend.ts'],
        env: { YOLOV2_TEST_BACKEND: backend },
        testTimeout: 60_000,
        hookTimeout: 60_000,
        pool: 'forks',
      },
    })),
  },
});
