// Vite builds the consult page (index.html) and the admin console (admin.html)
// into dist/ (or --outDir, which meson passes), which the server serves. No CDN:
// every asset lands in dist/assets with a content hash. base './' keeps the
// pages working behind a reverse proxy under a path prefix.
import { defineConfig } from 'vite';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url)); // node 18 (Debian 12) has no import.meta.dirname

export default defineConfig({
  root: here,
  base: './',
  publicDir: false,
  cacheDir: process.env.HUIZHEN_VITE_CACHE || resolve(here, 'node_modules/.vite'),
  // The DICOM viewer (src/viewer/): the dicom-image-loader decodes in module
  // workers that split into chunks (format 'es'), and its wasm codecs are
  // referenced with new URL(…, import.meta.url), so they land in dist/assets
  // and are served by our server. Pre-bundling would break those URLs in
  // `npm run dev`, hence the exclude.
  worker: { format: 'es' },
  optimizeDeps: {
    exclude: ['@cornerstonejs/dicom-image-loader'],
    include: ['dicom-parser'],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // The DICOM viewer chunk (Cornerstone3D, ~4 MB) and the codec workers are
    // loaded only when a DICOM is opened; their size is expected.
    chunkSizeWarningLimit: 6000,
    rollupOptions: {
      input: {
        index: resolve(here, 'index.html'),
        admin: resolve(here, 'admin.html'),
        library: resolve(here, 'library.html'),
      },
    },
  },
  server: {
    // `npm run dev` proxies the API and signaling to a huizhen started on 8080.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/healthz': 'http://127.0.0.1:8080',
      '/ws': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
});
