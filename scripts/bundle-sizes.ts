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
const routes: Record<string, string> = {
  'src/home/index.tsx': '/ and /workspace',
  'src/processes/index.tsx': '/processes',
  'src/processes/diff.tsx': '/processes/diff',
  'src/modeler/index.tsx': '/processes/new, /processes/:key',
  'src/form-editor/index.tsx': '/forms',
  'src/rules/index.tsx': '/rules',
  'src/notification-templates/index.tsx': '/templates',
};
const s = gzipOf(shell);
console.log(`| route | gzip JS | gzip CSS |\n|---|---|---|`);
console.log(`| shell (every page: login, frame) | ${kb(s.js)} | ${kb(s.css)} |`);
for (const [src, route] of Object.entries(routes)) {
  if (!manifest[src]) continue;
  const own = [...closure(src)].filter((k) => !shell.has(k));
  const r = gzipOf(own);
  console.log(`| ${route} (on top of the shell) | ${kb(r.js)} | ${kb(r.css)} |`);
}
