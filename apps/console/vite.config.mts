import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The web UI: two pages (the console and the app portal) sharing one set of hashed assets,
 * written to dist/console for the API to serve. Nothing is inlined into the HTML, so the
 * strict CSP (no inline script or style) holds.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: resolve(import.meta.dirname, '../../dist/console'),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    rolldownOptions: {
      input: {
        console: resolve(import.meta.dirname, 'console.html'),
        'app-portal': resolve(import.meta.dirname, 'app-portal.html'),
      },
    },
  },
});
