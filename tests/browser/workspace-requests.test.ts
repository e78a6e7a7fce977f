import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserApp, bellCount, bellRang, hasChromium, startBrowserApp } from './browser.js';

const PHONE = { width: 390, height: 844 };

const PROCESS = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:lf="http://lifeflow.dev/schema/bpmn/1.0" id="defs" targetNamespace="http://lifeflow.dev/test">
  <bpmn:process id="site-request" name="现场材料申请" isExecutable="true">
    <bpmn:startEvent id="start" name="提出申请">
      <bpmn:extensionElements><zeebe:formDefinition formId="site-request-form"/></bpmn:extensionElements>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="sign"/>
    <bpmn:userTask id="sign" name="主管审批">
      <bpmn:extensionElements><lf:approval mode="any" strategy="initiatorPicks"/></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="sign" targetRef="end"/>
    <bpmn:endEvent id="end" name="结束"/>
  </bpmn:process>
</bpmn:definitions>`;

const FORM = JSON.stringify({
  id: 'site-request-form',
  type: 'default',
  components: [
    { type: 'textfield', key: 'title', label: '事由', validate: { required: true } },
    { type: 'number', key: 'amount', label: '金额', validate: { required: true, min: 0 } },
  ],
});

describe.skipIf(!hasChromium)('workspace: start, my requests and the bell', () => {
  let app: BrowserApp;
  beforeAll(async () => {
    app = await startBrowserApp();
    const res = await app.t.deploy([
      { name: 'site-request.bpmn', content: PROCESS },
      { name: 'site-request-form.form', content: FORM },
    ]);
    expect(res.status).toBe(200);
  }, 60_000);
  afterAll(async () => app?.close());

  const started = async (user: string) =>
    (await app.t.api('POST', '/v2/inbox/search', { filter: { tab: 'started' } }, { user })).body
      .items as any[];
  const notices = async (user: string) =>
    (await app.t.api('POST', '/v2/notifications/search', { page: { limit: 100 } }, { user })).body
      .items as any[];

  /** Closes the user's live connections from the server side (the client sees a transport close). */
  const dropSockets = async (username: string) => {
    const sockets = await app.t.realtime!.io.fetchSockets();
    for (const s of sockets) if ((s.data as any).principal?.username === username) (s as any).conn.close();
  };

  it('starts from the catalogue on a phone, shows it under 我发起的, rings the approver, urges, copies and withdraws', async () => {
    // The approver is on a desktop, looking at the inbox.
    const approver = await app.newPage();
    await app.login(approver, 'eng1');
    await approver.goto('/workspace/inbox');
    await approver.getByTestId('bell').waitFor();
    const before = await bellCount(approver);

    // field1 on a phone: the catalogue, then the start form.
    const field = await app.newPage(PHONE);
    await app.login(field, 'field1');
    await field.goto('/workspace/start');
    await field.getByTestId('start-catalogue').waitFor();
    await field.getByTestId('start-card-site-request').waitFor();
    await app.screenshot(field, 'start-catalogue-phone');
    await field.getByTestId('start-search').locator('input').fill('不存在的流程');
    await expect(field.getByTestId('start-card-site-request').count()).resolves.toBe(0);
    await field.getByTestId('start-search').locator('input').fill('材料');
    await field.getByTestId('start-card-site-request').click();
    await field.getByTestId('start-form').waitFor();
    await field.getByLabel('事由').waitFor();

    // Nothing filled in: errors in Chinese, nothing sent.
    await field.getByTestId('start-submit').click();
    await field.getByTestId('start-invalid').waitFor();
    await field.getByText('请选择「主管审批」的审批人').waitFor();
    await field.getByText('必填').first().waitFor();
    expect(await started('field1')).toEqual([]);

    await field.getByLabel('事由').fill('采购水泥 20 吨');
    await field.getByLabel('金额').fill('3600');
    await field.getByTestId('start-approvers-sign').click();
    await field.locator('.ant-select-item-option', { hasText: 'eng1' }).click();
    await field.keyboard.press('Escape');
    await field.locator('.ant-select-dropdown').waitFor({ state: 'hidden' });
    await app.screenshot(field, 'start-form-phone');
    await field.getByTestId('start-submit').click();

    // My requests: the new one with its current step and who holds it.
    await field.waitForURL('**/workspace/requests');
    const [mine] = await started('field1');
    expect(mine).toMatchObject({ processDefinitionId: 'site-request', state: 'ACTIVE' });
    const key = mine.processInstanceKey as string;
    expect(await app.t.rootVariables(key)).toMatchObject({ title: '采购水泥 20 吨', amount: 3600 });
    const item = field.getByTestId(`request-item-${key}`);
    await item.getByTestId('request-step').filter({ hasText: '主管审批' }).waitFor();
    await expect(item.getByTestId('request-step').innerText()).resolves.toContain('李娜（工程部）');
    await expect(item.getByTestId('request-state').innerText()).resolves.toBe('进行中');
    await app.screenshot(field, 'requests-phone');

    // The approver's bell rang without a reload, with a toast.
    await bellRang(approver, before);
    await approver.getByTestId('bell-toast').first().waitFor();
    const task = (await notices('eng1')).find(
      (n) => n.processInstanceKey === key && n.event === 'TASK_ASSIGNED',
    );
    expect(task).toBeTruthy();
    await approver.getByTestId('bell').click();
    const row = approver.getByTestId(`bell-item-${task.notificationKey}`);
    // (a trial click waits until the drawer stopped sliding in)
    await row.click({ trial: true });
    await app.screenshot(approver, 'bell-open');
    await row.getByTestId('bell-mark-read').click();
    await approver.waitForSelector(`[data-testid="bell-item-${task.notificationKey}"][data-read="true"]`);
    expect(
      (await notices('eng1')).find((n) => n.notificationKey === task.notificationKey).readAt,
    ).toBeTruthy();
    await approver.keyboard.press('Escape');

    // 催办 with a comment.
    await item.getByTestId('request-urge').click();
    await field.getByTestId('request-comment').fill('工地急用，请尽快审批');
    await field.getByTestId('request-dialog-ok').click();
    await field.getByText('已催办').waitFor();
    const timeline = async () =>
      (
        await app.t.api('GET', `/v2/process-instances/${key}/history?view=timeline`, undefined, {
          user: 'field1',
        })
      ).body.items as any[];
    expect(await timeline()).toContainEqual(
      expect.objectContaining({ action: 'urged', comment: '工地急用，请尽快审批' }),
    );
    expect((await notices('eng1')).some((n) => n.event === 'URGED' && n.processInstanceKey === key)).toBe(
      true,
    );

    // Copied to ops1, who marks it 已阅 under 抄送我的.
    const cc = await app.t.api(
      'POST',
      `/v2/process-instances/${key}/cc`,
      { users: ['ops1'], comment: '知悉' },
      {
        user: 'field1',
      },
    );
    expect(cc.status).toBe(200);
    const ops = await app.newPage(PHONE);
    await app.login(ops, 'ops1');
    await ops.goto('/workspace/requests');
    await ops.getByTestId('requests-tab-cc').click();
    const copied = ops.getByTestId(`request-item-${key}`);
    await expect(copied.getByTestId('request-read-state').innerText()).resolves.toBe('未读');
    await copied.getByTestId('request-mark-read').click();
    await copied.getByTestId('request-read-state').filter({ hasText: '已阅' }).waitFor();
    const ccNotice = (await notices('ops1')).find((n) => n.processInstanceKey === key);
    expect(ccNotice.readAt).toBeTruthy();
    // Opening it shows the instance's timeline and its printable record.
    await copied.click();
    await ops.getByTestId('request-timeline').getByText('催办').waitFor();
    await expect(ops.getByTestId('request-record').getAttribute('href')).resolves.toContain(
      `/v2/process-instances/${key}/record`,
    );

    // 撤回 with a comment: the instance ends.
    await item.getByTestId('request-withdraw').click();
    await field.getByTestId('request-comment').fill('数量填错了');
    await field.getByTestId('request-dialog-ok').click();
    await field.getByText('已撤回').waitFor();
    expect(await app.t.stateOf(key)).not.toBe('ACTIVE');
    expect(await timeline()).toContainEqual(expect.objectContaining({ comment: '数量填错了' }));
    await field
      .getByTestId(`request-item-${key}`)
      .getByTestId('request-state')
      .filter({ hasNotText: '进行中' })
      .waitFor();
    await expect(
      field.getByTestId(`request-item-${key}`).getByTestId('request-withdraw').count(),
    ).resolves.toBe(0);
  }, 120_000);

  it('catches up on what was missed while the connection was down', async () => {
    const approver = await app.newPage();
    await app.login(approver, 'eng1');
    await approver.goto('/workspace/requests');
    await approver.getByTestId('bell').waitFor();
    // The bell has loaded its list (the newest key it knows) before the connection drops.
    await approver.getByTestId('bell').click();
    await approver.getByTestId('bell-list').waitFor();
    await approver.keyboard.press('Escape');
    const before = await bellCount(approver);

    await approver.context().setOffline(true);
    await dropSockets('eng1');
    const key = await app.t.startAs('field1', 'site-request', {
      variables: { title: '补报', amount: 1 },
      approvers: { sign: ['eng1'] },
    });
    const missed = (await notices('eng1')).find((n) => n.processInstanceKey === key);
    expect(missed).toBeTruthy();
    await approver.context().setOffline(false);

    await bellRang(approver, before);
    await approver.getByTestId('bell').click();
    await approver.getByTestId(`bell-item-${missed.notificationKey}`).waitFor();
    // Mark all read: the count is zero, on the server too.
    await approver.getByTestId('bell-read-all').click();
    await approver.waitForSelector('[data-testid="bell-count"][data-count="0"]', { state: 'attached' });
    const unread = await app.t.api('GET', '/v2/notifications/unread-count', undefined, { user: 'eng1' });
    expect(unread.body.count).toBe(0);
  }, 60_000);
});
