/**
 * Builds the browser example from the package's own ESM build (`dist/`, run `npm run build` first), the
 * way a user's bundler would consume the published package.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

export default defineConfig({
  root,
  base: './',
  publicDir: 'public',
  resolve: {
    alias: [
      { find: /^yolov2-ts\/models$/, replacement: `${dist}models/index.js` },
      { find: /^yolov2-ts$/, replacement: `${dist}index.js` },
    ],
  },
  build: {
    outDir: fileURLToPath(new URL('../../runs/browser-dist/', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    // three pages: detection (index), training, video
    rollupOptions: {
      input: {
        index: `${root}index.html`,
        train: `${root}train.html`,
        video: `${root}video.html`,
      },
    },
  },
  logLevel: 'warn',
});
