/**
 * Time until a route is usable on a cold load (empty browser cache, signed in), in headless
 * Chromium against the built web app on an embedded database: unthrottled, and over an emulated
 * phone network (Fast 4G-like: 9 Mbit/s down, 1.5 Mbit/s up, 60 ms latency). Prints a table.
 *
 *   LF_WEB_DIST=/tmp/lf-dist npm run build:web && LF_WEB_DIST=/tmp/lf-dist npm run cold-load
 */
import { startBrowserApp } from '../tests/browser/browser.js';

const ROUTES: Array<{ path: string; user: string; ready: string }> = [
  { path: '/workspace/inbox', user: 'eng1', ready: '[data-testid="inbox-count-todo"]' },
  { path: '/workspace/start', user: 'field1', ready: '[data-testid="start-catalogue"]' },
  { path: '/monitor', user: 'admin', ready: '[data-testid="monitor-list"]' },
];
const RUNS = 3;
const PHONE_NETWORK = {
  offline: false,
  latency: 60,
  downloadThroughput: (9 * 1024 * 1024) / 8,
  uploadThroughput: (1.5 * 1024 * 1024) / 8,
};

const app = await startBrowserApp();
try {
  console.log('| route | unthrottled (median of 3) | phone network (median of 3) |\n|---|---|---|');
  for (const r of ROUTES) {
    const login = await app.newPage();
    await app.login(login, r.user);
    const storageState = await login.context().storageState();
    const times: Record<'fast' | 'phone', number[]> = { fast: [], phone: [] };
    for (const mode of ['fast', 'phone'] as const)
      for (let i = 0; i < RUNS; i++) {
        // A new context: the session cookie and the language, nothing cached.
        const context = await app.browser.newContext({
          baseURL: app.t.baseUrl,
          storageState,
          locale: 'zh-CN',
        });
        const page = await context.newPage();
        if (mode === 'phone') {
          const cdp = await context.newCDPSession(page);
          await cdp.send('Network.enable');
          await cdp.send('Network.emulateNetworkConditions', PHONE_NETWORK);
        }
        const started = Date.now();
        await page.goto(r.path);
        await page.locator(r.ready).first().waitFor({ timeout: 60_000 });
        times[mode].push(Date.now() - started);
        await context.close();
      }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`| ${r.path} | ${median(times.fast)} ms | ${median(times.phone)} ms |`);
  }
} finally {
  await app.close();
}
