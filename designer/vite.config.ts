import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The web app. Built into designer/dist and served by the runtime from the same origin, so the
 * session cookie, the CSRF header and socket.io need no CORS. In development, `vite` proxies the
 * API to a runtime on LIFEFLOW_API (default http://127.0.0.1:8080).
 */
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2500,
    sourcemap: false,
    // scripts/bundle-sizes.ts reads it to report the gzip size of each route
    manifest: true,
  },
  server: {
    proxy: {
      '/v2': process.env.LIFEFLOW_API ?? 'http://127.0.0.1:8080',
      '/socket.io': { target: process.env.LIFEFLOW_API ?? 'http://127.0.0.1:8080', ws: true },
    },
  },
});
