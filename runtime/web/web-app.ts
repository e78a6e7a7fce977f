import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

/** The web app's source folder (designer/) and its build (designer/dist). */
export const DESIGNER_DIR = fileURLToPath(new URL('../../designer/', import.meta.url));
/** Where it is built; `LF_WEB_DIST` moves it (parallel checkouts or test runs building their own). */
export const DESIGNER_DIST = process.env.LF_WEB_DIST
  ? path.resolve(process.env.LF_WEB_DIST)
  : path.join(DESIGNER_DIR, 'dist');

/** Engine files the web app bundles: the lf: moddle descriptor and the shared vocabulary. */
const SHARED_WITH_WEB = ['lifeflow-moddle.json', 'vocabulary.ts'].map((f) =>
  fileURLToPath(new URL(`../../engine/model/${f}`, import.meta.url)),
);

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** True when designer/dist is missing or older than a file of the app's sources. */
export function webAppIsStale(): boolean {
  const index = path.join(DESIGNER_DIST, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const sources = Math.max(
    newestMtime(path.join(DESIGNER_DIR, 'src')),
    statSync(path.join(DESIGNER_DIR, 'index.html')).mtimeMs,
    statSync(path.join(DESIGNER_DIR, 'vite.config.ts')).mtimeMs,
    ...SHARED_WITH_WEB.map((f) => statSync(f).mtimeMs),
  );
  return sources > built;
}

/**
 * Builds the web app with Vite when its build is missing (`when: 'missing'`, what `npm start`
 * does), older than its sources (`when: 'stale'`, what the browser tests do) or anyway (`'always'`,
 * `npm run build:web`).
 */
export async function buildWebApp(
  when: 'missing' | 'stale' | 'always' = 'missing',
  log?: (m: string) => void,
) {
  const missing = !existsSync(path.join(DESIGNER_DIST, 'index.html'));
  if (!missing && when !== 'always' && (when === 'missing' || !webAppIsStale())) return false;
  log?.(`building the web app into ${DESIGNER_DIST} …`);
  const { build } = await import('vite');
  await build({
    configFile: path.join(DESIGNER_DIR, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: DESIGNER_DIST, emptyOutDir: true },
  });
  return true;
}

/**
 * Serves the built single-page app from `root`: hashed assets cached for a year, every other GET
 * outside the API answered with index.html (client-side routes), never cached.
 */
export function webAppRoutes(root: string): Router {
  const router = express.Router();
  router.use(
    '/assets',
    express.static(path.join(root, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false }),
  );
  router.use(express.static(root, { index: false, maxAge: 0 }));
  // Mounted after /v2 (whose router answers every path under it, 404 included); socket.io takes
  // its requests before express sees them.
  router.get('/{*splat}', (req, res, next) => {
    if (!req.accepts('html')) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(path.join(root, 'index.html'));
  });
  return router;
}
