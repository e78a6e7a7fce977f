import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserApp, hasChromium, startBrowserApp } from './browser.js';

describe.skipIf(!hasChromium)('web app shell', () => {
  let app: BrowserApp;
  beforeAll(async () => {
    app = await startBrowserApp();
  }, 60_000);
  afterAll(async () => app?.close());

  const navTexts = async (page: Page) =>
    (await page.getByTestId('nav').locator('.ant-menu-title-content').allInnerTexts()).map((s) => s.trim());

  it('sends a visitor to the login page and shows a wrong password as the server says it', async () => {
    const page = await app.newPage();
    await page.goto('/processes');
    await page.waitForURL('**/login');
    await page.getByRole('heading', { name: 'Lifeflow 工程全生命周期流程平台' }).waitFor();
    await page.locator('#login_username').fill('owner');
    await page.locator('#login_password').fill('wrong');
    await page.locator('form[id="login"] button[type="submit"]').click();
    await expect(page.getByTestId('problem').innerText()).resolves.toContain('password is not correct');
    await app.screenshot(page, 'login-error');
  });

  it('shows each role its own navigation, in zh-CN first', async () => {
    const owner = await app.newPage();
    await app.login(owner, 'owner');
    await owner.waitForURL('**/processes');
    expect(await navTexts(owner)).toEqual([
      '工作台',
      '流程设计',
      '表单设计',
      '规则集',
      '业务模块',
      '看板',
      '资产',
    ]);

    const field = await app.newPage();
    await app.login(field, 'field1');
    expect(await navTexts(field)).toEqual(['工作台', '资产']);
    await expect(field.getByTestId('me').innerText()).resolves.toBe('张伟（现场）');
    await field.goto('/processes');
    await field.getByText('您没有权限访问此页面').waitFor();

    const auditor = await app.newPage();
    await app.login(auditor, 'audit1');
    expect(await navTexts(auditor)).toEqual(['运行监控', '看板', '资产']);

    const admin = await app.newPage();
    await app.login(admin, 'admin');
    expect(await navTexts(admin)).toEqual([
      '工作台',
      '流程设计',
      '表单设计',
      '规则集',
      '业务模块',
      '通知模板',
      '运行监控',
      '看板',
      '资产',
    ]);
    await app.screenshot(admin, 'shell-admin');
  });

  it('switches to English and remembers it for the user on the next login', async () => {
    const page = await app.newPage();
    await app.login(page, 'eng1');
    await page.getByTestId('language').click();
    await page.locator('.ant-dropdown-menu-item', { hasText: 'English' }).click();
    await page.getByText('Sign out').waitFor();
    expect(await navTexts(page)).toEqual(['Workspace', 'Assets']);
    const me = await app.t.api('GET', '/v2/authentication/me', undefined, { user: 'eng1' });
    expect(me.body.locale).toBe('en');

    // A new browser (no local memory) takes the user's language from the server after login.
    const other = await app.newPage();
    await app.login(other, 'eng1');
    await other.getByText('Sign out').waitFor();
    expect(await navTexts(other)).toEqual(['Workspace', 'Assets']);
  });

  it('lets a member of two tenants switch between them', async () => {
    const knex = app.t.runtime.knex;
    await knex('tenants').insert({ tenant_id: 'east', name: '华东项目公司' });
    await knex('memberships').insert({
      container_type: 'TENANT',
      container_id: 'east',
      member_type: 'USER',
      member_id: 'ops1',
    });
    const page = await app.newPage();
    await app.login(page, 'ops1');
    await page.getByTestId('tenant').click();
    await page.locator('.ant-dropdown-menu-item', { hasText: '华东项目公司' }).click();
    await expect(page.getByTestId('tenant').innerText()).resolves.toContain('华东项目公司');
    await page.reload();
    await page.getByTestId('me').waitFor();
    await expect(page.getByTestId('tenant').innerText()).resolves.toContain('华东项目公司');
  });

  it('handles an expired session by going back to the login page with a notice', async () => {
    const page = await app.newPage();
    await app.login(page, 'sup1');
    await app.t.runtime.knex('sessions').delete();
    // The next API call answers 401; the app returns to the login with the reason.
    // (a live connection's own call may get there first and leave the page before the click lands)
    await page.getByTestId('language').click();
    await page
      .locator('.ant-dropdown-menu-item', { hasText: 'English' })
      .click({ timeout: 5_000 })
      .catch((err) => {
        if (!page.url().includes('/login')) throw err;
      });
    await page.waitForURL('**/login');
    // In English when the switch got there first, else in the language the page was in.
    await page
      .getByText(/^(Your session has expired; please sign in again|登录已过期，请重新登录)$/)
      .waitFor();
  });

  it('signs out', async () => {
    const page = await app.newPage();
    await app.login(page, 'des1');
    await page.getByTestId('logout').click();
    await page.waitForURL('**/login');
    await page.goto('/');
    await page.waitForURL('**/login');
  });
});
