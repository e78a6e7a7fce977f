import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../runtime/notifications/delivery-worker.js';
import { startSmtpSink } from './support/smtp-sink.js';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

let now = new Date('2026-06-01T01:00:00Z');
const advance = (ms: number) => {
  now = new Date(now.getTime() + ms);
};
const HOUR = 3600_000;

let t: TestRuntime;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let hookServer: Server;
let hookPort = 0;
const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
let hookAnswers: number[] = [];

beforeAll(async () => {
  smtp = await startSmtpSink();
  hookServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = hookAnswers.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
  hookPort = (hookServer.address() as AddressInfo).port;
  t = await startTestRuntime({
    clock: () => now,
    runtime: {
      httpAllowedHosts: [`127.0.0.1:${hookPort}`],
      mail: {
        smtpUrl: smtp.url,
        from: 'Lifeflow <noreply@lifeflow.test>',
      },
      deliveries: { retryBaseMs: 60_000, maxAttempts: 3 },
    },
  });
  // ops1 reads English.
  await t.runtime.knex('users').where({ username: 'ops1' }).update({ locale: 'en' });
  const res = await t.deploy([{ name: 'review.bpmn', content: REVIEW }]);
  expect(res.status, res.text).toBe(200);
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
  await new Promise((r) => hookServer.close(r));
});

const REVIEW = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d">
  <bpmn:process id="kpi-review" name="季度 KPI 评审" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="review" name="评审 &lt;KPI&gt; &amp; 签字"><bpmn:extensionElements>
      <zeebe:assignmentDefinition candidateGroups="engineering, operations"/>
      <zeebe:taskSchedule dueDate="=due"/>
    </bpmn:extensionElements></bpmn:userTask>
    <bpmn:serviceTask id="cc"><bpmn:extensionElements><zeebe:taskDefinition type="notify"/>
      <zeebe:taskHeaders><zeebe:header key="users" value="sup1"/><zeebe:header key="message" value="=&quot;评审结果：&quot; + result"/></zeebe:taskHeaders>
    </bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="cc"/>
    <bpmn:sequenceFlow id="f3" sourceRef="cc" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>`;

const inbox = async (user: string, filter: Record<string, unknown> = {}) =>
  (await t.api('POST', '/v2/notifications/search', { filter }, { user })).body.items;
const unread = async (user: string) =>
  (await t.api('GET', '/v2/notifications/unread-count', undefined, { user })).body.count;
const startReview = async () => {
  const res = await t.api(
    'POST',
    '/v2/process-instances',
    {
      processDefinitionId: 'kpi-review',
      variables: { due: new Date(now.getTime() + 30 * HOUR).toISOString() },
    },
    { user: 'owner' },
  );
  expect(res.status, res.text).toBe(200);
  return res.body.processInstanceKey as string;
};

describe('in-app notifications', () => {
  it('tells the candidate groups of a new task, each in their language, with values escaped', async () => {
    const key = await startReview();
    const [eng] = await inbox('eng1', { processInstanceKey: key });
    expect(eng).toMatchObject({
      event: 'TASK_CREATED',
      recipient: 'eng1',
      title: '新待办：评审 &lt;KPI&gt; &amp; 签字',
      processInstanceKey: key,
      readAt: null,
    });
    expect(eng.body).toContain('季度 KPI 评审');
    // dates are written for the reader, in the platform's time zone (Asia/Shanghai)
    expect(eng.body).toContain('截止：2026年6月2日 15:00');
    expect(eng.data.dueDate).toBe('2026-06-02T07:00:00.000Z');
    const [ops] = await inbox('ops1', { processInstanceKey: key });
    expect(ops.title).toBe('New task: 评审 &lt;KPI&gt; &amp; 签字');
    expect(ops.body).toContain('Due 2 Jun 2026, 15:00.');
    // nobody else: not the starter, not other groups
    expect(await inbox('field1', { processInstanceKey: key })).toEqual([]);
    expect(await inbox('owner', { processInstanceKey: key })).toEqual([]);
  });

  it('counts unread notifications and marks them read, one or all', async () => {
    const before = await unread('eng1');
    await startReview();
    expect(await unread('eng1')).toBe(before + 1);
    const [latest] = await inbox('eng1', { read: false });
    expect(
      (await t.api('POST', `/v2/notifications/${latest.notificationKey}/read`, undefined, { user: 'eng1' }))
        .status,
    ).toBe(204);
    expect(await unread('eng1')).toBe(before);
    // someone else's notification is not theirs to see or mark
    expect(
      (await t.api('POST', `/v2/notifications/${latest.notificationKey}/read`, undefined, { user: 'ops1' }))
        .status,
    ).toBe(404);
    expect((await t.api('POST', '/v2/notifications/read-all', undefined, { user: 'eng1' })).status).toBe(204);
    expect(await unread('eng1')).toBe(0);
    expect((await inbox('eng1', { read: true })).length).toBeGreaterThan(0);
  });

  it('tells the assignee, the starter when the instance ends, and a CC recipient through the notify job type', async () => {
    const key = await startReview();
    const [task] = await t.openTasks(key);
    expect(
      (
        await t.api(
          'POST',
          `/v2/user-tasks/${task.userTaskKey}/assignment`,
          { assignee: 'eng1' },
          { user: 'owner' },
        )
      ).status,
    ).toBe(204);
    const assigned = await inbox('eng1', { processInstanceKey: key, event: 'TASK_ASSIGNED' });
    expect(assigned).toHaveLength(1);
    expect(assigned[0].body).toContain('owner');
    // claiming for oneself tells nobody
    const key2 = await startReview();
    const [task2] = await t.openTasks(key2);
    await t.api(
      'POST',
      `/v2/user-tasks/${task2.userTaskKey}/assignment`,
      { assignee: 'eng1' },
      { user: 'eng1' },
    );
    expect(await inbox('eng1', { processInstanceKey: key2, event: 'TASK_ASSIGNED' })).toEqual([]);

    expect(
      (await t.complete({ ...task, assignee: 'eng1' }, { result: '通过' }, { user: 'eng1' })).status,
    ).toBe(204);
    const jobs = await t.runtime.jobs.activate({
      type: 'notify',
      worker: 'test',
      timeout: 60_000,
      maxJobsToActivate: 5,
      tenantIds: ['<default>'],
    });
    const mine = jobs.filter((j) => j.processInstanceKey === key);
    expect(mine).toHaveLength(1);
    await t.runtime.builtins.run(mine[0]);
    const [cc] = await inbox('sup1', { processInstanceKey: key });
    expect(cc).toMatchObject({ event: 'CC', title: '抄送：kpi-review' });
    expect(cc.body).toContain('评审结果：通过');
    const [done] = await inbox('owner', { processInstanceKey: key, event: 'INSTANCE_COMPLETED' });
    expect(done.title).toBe('流程已完成：季度 KPI 评审');
    expect(await t.stateOf(key)).toBe('COMPLETED');
  });

  it('writes nothing when the command is refused (the outbox is part of the transaction)', async () => {
    const key = await startReview();
    const count = async () => Number((await t.runtime.knex('notifications').count({ n: '*' }).first())?.n);
    const before = await count();
    const [task] = await t.openTasks(key);
    // assigning to a user outside the tenant fails after the engine decided: all is rolled back
    const res = await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/assignment`, { assignee: 'nobody' });
    expect(res.status).toBe(400);
    expect(await count()).toBe(before);
  });

  it('tells the starter that the request was rejected when it ends at an end event marked so', async () => {
    const REQUEST = (outcome: string) => `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:lf="http://lifeflow.dev/schema/bpmn/1.0" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="r">
  <bpmn:process id="site-access" name="进场申请" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="review"><bpmn:extensionElements><zeebe:assignmentDefinition assignee="ops1"/></bpmn:extensionElements></bpmn:userTask>
    <bpmn:exclusiveGateway id="ok" default="yes"/>
    <bpmn:endEvent id="granted" name="已批准"/>
    <bpmn:endEvent id="refused" name="已驳回"><bpmn:extensionElements><lf:outcome value="${outcome}"/></bpmn:extensionElements></bpmn:endEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="review"/>
    <bpmn:sequenceFlow id="f1" sourceRef="review" targetRef="ok"/>
    <bpmn:sequenceFlow id="yes" sourceRef="ok" targetRef="granted"/>
    <bpmn:sequenceFlow id="no" sourceRef="ok" targetRef="refused"><bpmn:conditionExpression>=approved = false</bpmn:conditionExpression></bpmn:sequenceFlow>
  </bpmn:process>
</bpmn:definitions>`;
    const bad = await t.deploy([{ name: 'sa.bpmn', content: REQUEST('denied') }]);
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("lf:outcome must be 'completed' or 'rejected'");
    expect((await t.deploy([{ name: 'sa.bpmn', content: REQUEST('rejected') }])).status).toBe(200);
    // con1 asks; ops1 decides
    const decide = async (approved: boolean) => {
      const res = await t.api(
        'POST',
        '/v2/process-instances',
        { processDefinitionId: 'site-access' },
        { user: 'con1' },
      );
      const [task] = await t.openTasks(res.body.processInstanceKey);
      expect((await t.complete(task, { approved }, { user: 'ops1' })).status).toBe(204);
      return res.body.processInstanceKey as string;
    };
    const no = await decide(false);
    const yes = await decide(true);
    const [refused] = await inbox('con1', { processInstanceKey: no });
    expect(refused).toMatchObject({ event: 'INSTANCE_REJECTED', title: '流程已驳回：进场申请' });
    const [granted] = await inbox('con1', { processInstanceKey: yes });
    expect(granted).toMatchObject({ event: 'INSTANCE_COMPLETED', title: '流程已完成：进场申请' });
  });

  it('tells process owners about incidents', async () => {
    const start = await t.api('POST', '/v2/process-instances', {
      processDefinitionId: 'kpi-review',
      variables: { due: 'not a date' },
    });
    const key = start.body.processInstanceKey;
    const incidents = await t.api('POST', '/v2/incidents/search', { filter: { processInstanceKey: key } });
    expect(incidents.body.items).toHaveLength(1);
    const [n] = await inbox('owner', { processInstanceKey: key, event: 'INCIDENT_CREATED' });
    expect(n.title).toBe('流程异常：季度 KPI 评审');
  });
});

describe('templates', () => {
  it('lets an administrator override a text per tenant, event, channel and language; refuses broken or unsafe ones', async () => {
    const path = '/v2/notification-templates/TASK_CREATED/IN_APP/zh-CN';
    const bad = await t.api('PUT', path, { subject: '待办 {{#if taskName}}', body: 'ok' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('subject');
    expect(bad.body.errors[0].reason).toMatch(/^line 1: /);
    const multiLine = await t.api('PUT', path, { subject: 'ok', body: 'a\nb\n{{taskNmae}}' });
    expect(multiLine.body.errors).toEqual([
      { field: 'body', reason: expect.stringMatching(/^line 3: unknown field 'taskNmae'/) },
    ]);
    const raw = await t.api('PUT', path, { subject: '{{{taskName}}}', body: 'ok' });
    expect(raw.body.errors[0].reason).toContain('unescaped output');
    expect((await t.api('PUT', path, { subject: 'x', body: 'y' }, { user: 'owner' })).status).toBe(403);

    const ok = await t.api('PUT', path, { subject: '【待办】{{taskName}}', body: '请处理 {{processName}}' });
    expect(ok.status, ok.text).toBe(200);
    const key = await startReview();
    const [n] = await inbox('eng1', { processInstanceKey: key });
    expect(n.title).toBe('【待办】评审 &lt;KPI&gt; &amp; 签字');
    // the English text is untouched
    expect((await inbox('ops1', { processInstanceKey: key }))[0].title).toMatch(/^New task/);
    const list = await t.api('POST', '/v2/notification-templates/search', {});
    expect(
      list.body.items.find(
        (x: any) => x.event === 'TASK_CREATED' && x.channel === 'IN_APP' && x.locale === 'zh-CN',
      ),
    ).toMatchObject({ custom: true });
    expect((await t.api('DELETE', path)).status).toBe(204);
    const key2 = await startReview();
    expect((await inbox('eng1', { processInstanceKey: key2 }))[0].title).toMatch(/^新待办/);
  });
});

describe('deliveries', () => {
  it('emails recipients over SMTP from the outbox', async () => {
    smtp.mails.length = 0;
    const key = await startReview();
    expect(await t.runtime.deliveries.runDue()).toBeGreaterThan(0);
    const toEng = smtp.mails.find((m) => m.to.includes('eng1@example.com'));
    expect(toEng?.data).toContain('Subject: =?UTF-8?');
    expect(toEng?.data).toContain('text/html');
    const rows = await t.runtime.knex('notification_deliveries').where({ channel: 'EMAIL', state: 'SENT' });
    expect(rows.length).toBeGreaterThan(0);
    expect(key).toBeTruthy();
  });

  it('posts signed webhooks, retries with back-off and keeps a delivery log', async () => {
    const bad = await t.api('POST', '/v2/webhooks', {
      name: 'x',
      url: 'http://10.0.0.1/hook',
      events: ['TASK_CREATED'],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatchObject({ field: 'url' });
    const created = await t.api('POST', '/v2/webhooks', {
      name: '企业微信机器人',
      url: `http://127.0.0.1:${hookPort}/hook`,
      events: ['TASK_CREATED'],
    });
    expect(created.status, created.text).toBe(201);
    const { webhookKey, secret } = created.body;
    expect((await t.api('GET', `/v2/webhooks/${webhookKey}`)).body).not.toHaveProperty('secret');

    await t.runtime.deliveries.runDue(); // drain what earlier tests queued
    received.length = 0;
    hookAnswers = [500];
    const key = await startReview();
    await t.runtime.deliveries.runDue();
    expect(received).toHaveLength(1);
    const log = async () =>
      (await t.api('POST', `/v2/webhooks/${webhookKey}/deliveries/search`, {})).body.items[0];
    expect(await log()).toMatchObject({
      state: 'PENDING',
      attempts: 1,
      lastStatus: 500,
      event: 'TASK_CREATED',
    });
    // not before its back-off
    expect(await t.runtime.deliveries.runDue()).toBe(0);
    advance(61_000);
    await t.runtime.deliveries.runDue();
    expect(received).toHaveLength(2);
    const entry = await log();
    expect(entry).toMatchObject({ state: 'SENT', attempts: 2, lastStatus: 200 });

    const { headers, body } = received[1];
    const payload = JSON.parse(body);
    expect(payload).toMatchObject({
      event: 'TASK_CREATED',
      processInstanceKey: key,
      tenantId: '<default>',
      title: '新待办：评审 &lt;KPI&gt; &amp; 签字',
    });
    expect(payload.text).toContain('季度 KPI 评审');
    expect(payload.recipients.sort()).toEqual(['eng1', 'ops1']);
    expect(headers['x-lifeflow-signature']).toBe(
      signWebhook(secret, String(headers['x-lifeflow-timestamp']), body),
    );

    // an endpoint that keeps failing is given up after the last attempt
    hookAnswers = [503, 503, 503];
    await startReview();
    for (let i = 0; i < 3; i++) {
      await t.runtime.deliveries.runDue();
      advance(60 * 60_000);
    }
    expect(await log()).toMatchObject({ state: 'FAILED', attempts: 3, lastStatus: 503 });
    expect((await t.api('DELETE', `/v2/webhooks/${webhookKey}`)).status).toBe(204);
  });

  it("sends a webhook its texts in the webhook's own language", async () => {
    const refused = await t.api('POST', '/v2/webhooks', {
      name: 'bot',
      url: `http://127.0.0.1:${hookPort}/hook`,
      locale: 'fr',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ field: 'locale', reason: 'must be one of zh-CN, en' }]);
    const zh = await t.api('POST', '/v2/webhooks', {
      name: '中文机器人',
      url: `http://127.0.0.1:${hookPort}/hook`,
      events: ['TASK_CREATED'],
    });
    const en = await t.api('POST', '/v2/webhooks', {
      name: 'English bot',
      url: `http://127.0.0.1:${hookPort}/hook`,
      events: ['TASK_CREATED'],
      locale: 'en',
    });
    expect(zh.body.locale).toBe('zh-CN');
    expect(en.body.locale).toBe('en');
    await t.runtime.deliveries.runDue(); // drain what earlier tests queued
    received.length = 0;
    hookAnswers = [];
    await startReview();
    await t.runtime.deliveries.runDue();
    const titles = received.map((r) => JSON.parse(r.body).title).sort();
    expect(titles).toHaveLength(2);
    expect(titles[0]).toMatch(/^New task/);
    expect(titles[1]).toMatch(/^新待办/);

    // a changed language takes effect on the next event
    const changed = await t.api('PUT', `/v2/webhooks/${zh.body.webhookKey}`, { locale: 'en' });
    expect(changed.body.locale).toBe('en');
    received.length = 0;
    await startReview();
    await t.runtime.deliveries.runDue();
    expect(received.map((r) => JSON.parse(r.body).title)).toEqual([
      expect.stringMatching(/^New task/),
      expect.stringMatching(/^New task/),
    ]);
    for (const h of [zh, en]) await t.api('DELETE', `/v2/webhooks/${h.body.webhookKey}`);
  });
});

describe('reminders', () => {
  it('reminds once when a task is due soon and once when it is overdue', async () => {
    const key = await startReview(); // due in 30 hours
    const [task] = await t.openTasks(key);
    await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/assignment`, { assignee: 'eng1' });
    const reminders = async () =>
      (await inbox('eng1', { processInstanceKey: key }))
        .filter(
          (n: any) =>
            n.event.startsWith('TASK_') && n.event !== 'TASK_CREATED' && n.event !== 'TASK_ASSIGNED',
        )
        .map((n: any) => n.event);
    await t.runtime.reminders.runDue();
    expect(await reminders()).toEqual([]);
    advance(7 * HOUR); // due in 23 hours
    await t.runtime.reminders.runDue();
    await t.runtime.reminders.runDue();
    expect(await reminders()).toEqual(['TASK_DUE_SOON']);
    advance(24 * HOUR);
    await t.runtime.reminders.runDue();
    await t.runtime.reminders.runDue();
    expect(await reminders()).toEqual(['TASK_OVERDUE', 'TASK_DUE_SOON']);
    // only the assignee is reminded, not the other candidates
    expect((await inbox('ops1', { processInstanceKey: key })).map((n: any) => n.event)).toEqual([
      'TASK_CREATED',
    ]);
  });
});
