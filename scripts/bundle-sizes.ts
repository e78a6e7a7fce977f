/**
 * Gzip sizes of the web app per route: what the browser downloads to open each area (the shell's
 * entry chunk, then the area's lazy chunk with the chunks only it needs). Reads the Vite manifest
 * of the last build: `npm run build:web && npx tsx scripts/bundle-sizes.ts`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { DESIGNER_DIST } from '../runtime/web/web-app.js';

interface Chunk {
  file: string;
  src?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  css?: string[];
}

const manifestPath = path.join(DESIGNER_DIST, '.vite', 'manifest.json');
if (!existsSync(manifestPath)) {
  console.error(`no manifest at ${manifestPath}: build the web app first (npm run build:web)`);
  process.exit(2);
}
const manifest: Record<string, Chunk> = JSON.parse(readFileSync(manifestPath, 'utf8'));

/** The chunk and everything it statically imports (what loads together with it). */
function closure(key: string, seen = new Set<string>()): Set<string> {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const dep of manifest[key]?.imports ?? []) closure(dep, seen);
  return seen;
}

function gzipOf(keys: Iterable<string>): { js: number; css: number } {
  const files = new Set<string>();
  const cssFiles = new Set<string>();
  for (const k of keys) {
    files.add(manifest[k].file);
    for (const c of manifest[k].css ?? []) cssFiles.add(c);
  }
  const size = (f: string) => gzipSync(readFileSync(path.join(DESIGNER_DIST, f))).length;
  let js = 0;
  let css = 0;
  for (const f of files) js += size(f);
  for (const f of cssFiles) css += size(f);
  return { js, css };
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} kB`;
const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);
if (!entryKey) throw new Error('the manifest has no entry chunk');
const shell = closure(entryKey);
// What each route loads on top of the shell: its area's chunk, and the chunks nested inside it.
const BELL = 'src/notifications/bell.tsx';
const WORKSPACE = 'src/workspace/index.tsx';
const MONITOR = 'src/monitor/index.tsx';
const routes: Record<string, string[]> = {
  '/login': ['src/app/login-page.tsx'],
  '/processes': ['src/processes/index.tsx'],
  '/processes/diff': ['src/processes/diff.tsx'],
  '/processes/new, /processes/:key': ['src/modeler/index.tsx'],
  '/forms': ['src/form-editor/index.tsx'],
  '/rules': ['src/rules/index.tsx'],
  '/templates': ['src/notification-templates/index.tsx'],
  '/modules': ['src/modules/index.tsx'],
  '/dashboards': ['src/dashboards/index.tsx'],
  '/ledger': ['src/assets/index.tsx'],
  '/workspace/inbox': [BELL, WORKSPACE, 'src/workspace/inbox/index.tsx'],
  '/workspace/start': [BELL, WORKSPACE, 'src/workspace/start/index.tsx'],
  '/workspace/requests': [BELL, WORKSPACE, 'src/workspace/requests/index.tsx'],
  '/monitor': [BELL, MONITOR, 'src/monitor/list.tsx'],
  '/monitor/instances/:key': [BELL, MONITOR, 'src/monitor/instance.tsx'],
  '/monitor/processes/:definitionKey': [
    BELL,
    MONITOR,
    'src/monitor/heatmap.tsx',
    'src/monitor/daily-chart.tsx',
  ],
  '/monitor/jobs': [BELL, MONITOR, 'src/monitor/jobs.tsx'],
};
const s = gzipOf(shell);
console.log(`| route | gzip JS on top of the shell | gzip CSS |\n|---|---|---|`);
console.log(`| shell (every page) | ${kb(s.js)} | ${kb(s.css)} |`);
for (const [route, chunks] of Object.entries(routes)) {
  if (!chunks.every((c) => manifest[c])) continue;
  const own = new Set<string>();
  for (const c of chunks) for (const k of closure(c)) if (!shell.has(k)) own.add(k);
  const r = gzipOf(own);
  const total = kb(s.js + r.js);
  console.log(`| ${route} | ${kb(r.js)} (${total} with the shell) | ${kb(r.css)} |`);
}
