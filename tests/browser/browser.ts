import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { DESIGNER_DIST } from '../../runtime/web/web-app.js';
import { afterEach, vi } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/test-runtime.js';

// A browser test walks many pages; on CI's two cores, busy with the other worker, one test has
// taken just over 30 s (vitest's default here). Each step still waits at most its own 30 s.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

/** What each open page did lately, printed when a test fails: CI's failures are read from logs. */
const traces = new Map<Page, string[]>();
function trace(page: Page, line: string) {
  const lines = traces.get(page);
  if (!lines) return;
  lines.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
  if (lines.length > 40) lines.shift();
}
afterEach(async (ctx) => {
  if (ctx.task.result?.state !== 'fail') return;
  let n = 0;
  for (const [page, lines] of traces) {
    if (page.isClosed()) continue;
    n += 1;
    const name = `failed-${ctx.task.name.replace(/[^\w一-龥]+/g, '-').slice(0, 60)}-${n}`;
    const text = await page
      .locator('body')
      .innerText({ timeout: 2000 })
      .catch((err) => `(no text: ${err.message})`);
    await page
      .screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true, timeout: 5000 })
      .catch(() => {});
    console.error(
      `[browser] page ${n} at ${page.url()} (screenshot ${name}.png)\n` +
        `  last requests and errors:\n    ${lines.join('\n    ')}\n` +
        `  text: ${text.replace(/\s+/g, ' ').slice(0, 1500)}`,
    );
  }
});

/** Debian's Chromium; the browser tests are skipped without it, except on CI where it must be there. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI)
  throw new Error(`the browser tests need Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

/**
 * Screenshots of each page, kept as CI artifacts (the folder is git-ignored): one folder per
 * database, so the PostgreSQL run does not overwrite the PGlite run's pictures.
 */
export const SCREENSHOT_DIR = path.resolve(
  '.tmp/screenshots',
  process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite',
);

export interface BrowserApp {
  t: TestRuntime;
  browser: Browser;
  /** A fresh browser context (own cookies and storage) with a page, at the given viewport. */
  newPage(opts?: { width?: number; height?: number; locale?: string }): Promise<Page>;
  /** Opens the login page and signs in (password `demo` for demo users, `admin` for admin). */
  login(page: Page, user: string, password?: string): Promise<void>;
  /** Saves a full-page screenshot as .tmp/screenshots/<name>.png. */
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The runtime on a database of its own serving the built web app, and a headless Chromium with
 * the flags this machine needs (no sandbox as root, no GPU, no calls home).
 */
export async function startBrowserApp(opts: { clock?: () => Date } = {}): Promise<BrowserApp> {
  const t = await startTestRuntime({
    runtime: { webRoot: DESIGNER_DIST },
    realtime: true,
    clock: opts.clock,
  });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // (playwright gives every launch a fresh, empty --user-data-dir of its own)
    ],
  });
  const contexts: BrowserContext[] = [];
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    t,
    browser,
    async newPage(o = {}) {
      const context = await browser.newContext({
        baseURL: t.baseUrl,
        viewport: { width: o.width ?? 1400, height: o.height ?? 900 },
        locale: o.locale ?? 'zh-CN',
        acceptDownloads: true,
        // No animations (the app honours the system setting): a click never lands on an option
        // list or a pop-up while it is still sliding in, which CI's busy cores made a coin toss.
        reducedMotion: 'reduce',
      });
      contexts.push(context);
      const page = await context.newPage();
      // CI runs two test files at once on two cores next to the database: a step that takes a
      // second here can take twenty there.
      page.setDefaultTimeout(process.env.CI ? 30_000 : 15_000);
      // A page error is a test failure waiting to be noticed: print it.
      page.on('pageerror', (err) => console.error(`[browser] ${err.message}`));
      traces.set(page, []);
      page.on('close', () => traces.delete(page));
      page.on('pageerror', (err) => trace(page, `page error: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error' || msg.type() === 'warning')
          trace(page, `console ${msg.type()}: ${msg.text()}`);
      });
      page.on('requestfailed', (req) =>
        trace(page, `FAILED ${req.method()} ${req.url()}: ${req.failure()?.errorText}`),
      );
      page.on('response', (res) => {
        const url = new URL(res.url());
        if (!url.pathname.startsWith('/v2/') && res.status() < 400) return;
        trace(page, `${res.status()} ${res.request().method()} ${url.pathname}${url.search}`);
      });
      page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame()) trace(page, `navigated to ${frame.url()}`);
      });
      return page;
    },
    async login(page, user, password) {
      await page.goto('/login');
      await page.locator('#login_username').fill(user);
      await page.locator('#login_password').fill(password ?? (user === 'admin' ? 'admin' : 'demo'));
      await page.locator('form[id="login"] button[type="submit"]').click();
      await page.getByTestId('me').waitFor();
    },
    async screenshot(page, name) {
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
      await t.close();
    },
  };
}

/** The unread count the bell in the page's header shows. */
export async function bellCount(page: Page): Promise<number> {
  return Number(await page.getByTestId('bell-count').getAttribute('data-count'));
}

/** Waits until the bell counts more than `before`: a notification arrived live, without a reload. */
export async function bellRang(page: Page, before: number): Promise<void> {
  await page.waitForFunction(
    (n) =>
      Number(
        (globalThis as any).document.querySelector('[data-testid="bell-count"]')?.getAttribute('data-count'),
      ) > n,
    before,
  );
}
