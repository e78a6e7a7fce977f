import express, { type NextFunction, type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Problem } from '../runtime/http/problem.js';
import { recordRoutes } from '../runtime/http/routes/records.js';
import {
  type ApprovalRecord,
  buildApprovalRecord,
  elementsOfCompiled,
  loadRecordSource,
  type RecordSource,
  renderApprovalRecordHtml,
  renderApprovalRecordPdf,
} from '../runtime/records/approval-record.js';
import { pdfText } from './support/pdf-text.js';
import { type ApiResponse, startTestRuntime, type TestRuntime } from './support/test-runtime.js';

/**
 * 审批单: the printable record of an instance (HTML and PDF) with its timeline, decisions and form
 * data. The route is not mounted in the app yet: these tests mount it on an app of their own over
 * the test runtime's services, and call the builder and renderers directly.
 */
let t: TestRuntime;
let server: Server;
let base: string;

const PROCESS = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:lf="http://lifeflow.dev/schema/bpmn/1.0" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_record">
  <bpmn:process id="handover-record" name="竣工资料审批" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="submit" name="提交资料"><bpmn:extensionElements><zeebe:assignmentDefinition assignee="con1"/></bpmn:extensionElements></bpmn:userTask>
    <bpmn:userTask id="sign" name="联合审批"><bpmn:extensionElements><lf:approval mode="all" assignees="eng1, ops1" onReject="end"/></bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="submit"/>
    <bpmn:sequenceFlow id="f2" sourceRef="submit" targetRef="sign"/>
    <bpmn:sequenceFlow id="f3" sourceRef="sign" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>`;

const SCRIPT_COMMENT = '<script>alert("x")</script>';
const IMG_VALUE = '<img src=x onerror=alert(1)>';

/** Mounts the record routes as the app will: credentials first, problems as problem+json. */
async function mount(rt: TestRuntime): Promise<{ server: Server; base: string }> {
  const app = express();
  const v2 = express.Router();
  v2.use(rt.runtime.auth.middleware());
  v2.use(recordRoutes(rt.runtime));
  app.use('/v2', v2);
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const p = err instanceof Problem ? err : new Problem(500, 'INTERNAL_ERROR', String(err));
    res
      .status(p.status)
      .type('application/problem+json')
      .json({ title: p.title, status: p.status, detail: p.detail });
  });
  const s: Server = await new Promise((resolve) => {
    const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
  });
  return { server: s, base: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
}

const get = async (path: string, user = 'admin') => {
  const res = await fetch(base + path, {
    headers: {
      authorization: `Basic ${Buffer.from(`${user}:${user === 'admin' ? 'admin' : 'demo'}`).toString('base64')}`,
    },
  });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
};

const ok = async (p: Promise<ApiResponse>, status = 204) => {
  const r = await p;
  expect(r.status, r.text).toBe(status);
  return r;
};
const taskOf = async (key: string, user: string) => {
  const task = (await t.openTasks(key)).find((x: any) => x.assignee === user);
  expect(task, `an open task for ${user}`).toBeTruthy();
  return task;
};
const decide = async (key: string, user: string, decision: 'approve' | 'reject', comment?: string) =>
  ok(
    t.api(
      'POST',
      `/v2/user-tasks/${(await taskOf(key, user)).userTaskKey}/decision`,
      { decision, comment },
      { user },
    ),
  );

let rejected: string;
let withdrawn: string;

/**
 * One instance with every kind of step: submitted, 同意 then 退回 (round 1), resubmitted, 转办,
 * 委派 and its resolution, 加签, 抄送, 催办, then 同意, 同意 and 驳回, which ends it as rejected.
 * And one the initiator withdrew (撤回).
 */
async function scenario() {
  const started = await ok(
    t.api(
      'POST',
      '/v2/process-instances',
      { processDefinitionId: 'handover-record', businessKey: 'HX-2024-001' },
      { user: 'owner' },
    ),
    200,
  );
  const key = started.body.processInstanceKey as string;
  const submit = await taskOf(key, 'con1');
  await ok(
    t.api(
      'POST',
      `/v2/user-tasks/${submit.userTaskKey}/completion`,
      { variables: { drawings: '竣工图 A-01', amount: 5000, note: IMG_VALUE } },
      { user: 'con1' },
    ),
  );
  await decide(key, 'ops1', 'approve', '第一轮同意');
  await ok(
    t.api(
      'POST',
      `/v2/user-tasks/${(await taskOf(key, 'eng1')).userTaskKey}/return`,
      { target: 'submit', comment: '竣工图缺少暖通部分' },
      { user: 'eng1' },
    ),
  );
  const again = await taskOf(key, 'con1');
  await ok(
    t.api(
      'POST',
      `/v2/user-tasks/${again.userTaskKey}/completion`,
      { variables: { drawings: '竣工图 A-01（含暖通）', amount: 5200 } },
      { user: 'con1' },
    ),
  );
  const eng = await taskOf(key, 'eng1');
  await ok(
    t.api(
      'POST',
      `/v2/user-tasks/${eng.userTaskKey}/transfer`,
      { assignee: 'sup1', comment: '出差，请刘洋代为审批' },
      { user: 'eng1' },
    ),
  );
  const ops = await taskOf(key, 'ops1');
  await ok(
    t.api(
      'POST',
      `/v2/user-tasks/${ops.userTaskKey}/delegation`,
      { delegate: 'des1', comment: '请设计院核对图纸' },
      { user: 'ops1' },
    ),
  );
  await ok(
    t.api(
      'POST',
      `/v2/user-tasks/${ops.userTaskKey}/resolution`,
      { variables: { drawingsChecked: true }, comment: '图纸齐全' },
      { user: 'des1' },
    ),
  );
  await ok(
    t.api(
      'POST',
      `/v2/user-tasks/${eng.userTaskKey}/signers`,
      { add: ['field1'], comment: '请现场一并会签' },
      { user: 'sup1' },
    ),
  );
  await ok(
    t.api(
      'POST',
      `/v2/process-instances/${key}/cc`,
      { users: ['audit1'], comment: '请知悉' },
      { user: 'ops1' },
    ),
    200,
  );
  await ok(
    t.api('POST', `/v2/process-instances/${key}/urge`, { comment: '明天截止' }, { user: 'owner' }),
    200,
  );
  await decide(key, 'sup1', 'approve', SCRIPT_COMMENT);
  await decide(key, 'ops1', 'approve', '同意移交');
  await decide(key, 'field1', 'reject', '现场未清理');
  expect(await t.stateOf(key)).toBe('COMPLETED');
  rejected = key;

  const second = await ok(
    t.api('POST', '/v2/process-instances', { processDefinitionId: 'handover-record' }, { user: 'owner' }),
    200,
  );
  withdrawn = second.body.processInstanceKey;
  await ok(
    t.api(
      'POST',
      `/v2/process-instances/${withdrawn}/withdrawal`,
      { comment: '信息填错了' },
      { user: 'owner' },
    ),
  );
}

const recordOf = async (key: string): Promise<ApprovalRecord> => {
  const source = await loadRecordSource(t.runtime.knex, key, {
    elements: async (k) => elementsOfCompiled(await t.runtime.definitions.getCompiled(k)),
  });
  expect(source).toBeTruthy();
  return buildApprovalRecord(source!);
};

beforeAll(async () => {
  t = await startTestRuntime();
  const res = await t.deploy([{ name: 'handover-record.bpmn', content: PROCESS }]);
  expect(res.status, res.text).toBe(200);
  ({ server, base } = await mount(t));
  await scenario();
}, 60_000);
afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await t?.close();
});

describe('the record model', () => {
  it('tells the outcome, the steps in words, each approval round and the form data of each task', async () => {
    const r = await recordOf(rejected);
    expect(r).toMatchObject({
      processName: '竣工资料审批',
      processVersion: 1,
      businessKey: 'HX-2024-001',
      state: 'COMPLETED',
      outcome: 'REJECTED',
      initiator: { username: 'owner', name: '流程负责人' },
    });
    expect(r.endDate).not.toBeNull();
    expect(r.timeline.map((e) => e.action)).toEqual([
      'started',
      'completed',
      'approved',
      'returned',
      'completed',
      'transferred',
      'delegated',
      'resolved',
      'signers_changed',
      'copied',
      'urged',
      'approved',
      'approved',
      'rejected',
      'approval_failed',
      'ended_rejected',
    ]);
    const byAction = (a: string) => r.timeline.find((e) => e.action === a)!;
    expect(byAction('returned')).toMatchObject({
      actor: { username: 'eng1', name: '李娜（工程部）' },
      elementName: '联合审批',
      targetName: '提交资料',
      comment: '竣工图缺少暖通部分',
      to: [{ username: 'con1' }],
    });
    expect(byAction('transferred')).toMatchObject({ to: [{ username: 'sup1', name: '刘洋（监理）' }] });
    expect(byAction('signers_changed')).toMatchObject({
      to: [{ username: 'field1' }],
      comment: '请现场一并会签',
    });
    expect(byAction('copied')).toMatchObject({ to: [{ username: 'audit1' }], comment: '请知悉' });

    expect(r.approvals).toHaveLength(1);
    const [node] = r.approvals;
    expect(node).toMatchObject({ elementId: 'sign', name: '联合审批', mode: 'all' });
    expect(node.rounds.map((x) => x.outcome)).toEqual(['RETURNED', 'FAILED']);
    expect(node.rounds[0].decisions.map((d) => [d.approver.username, d.decision, d.comment])).toEqual([
      ['ops1', 'approve', '第一轮同意'],
    ]);
    expect(node.rounds[1].decisions.map((d) => [d.approver.username, d.decision, d.comment])).toEqual([
      ['sup1', 'approve', SCRIPT_COMMENT],
      ['ops1', 'approve', '同意移交'],
      ['field1', 'reject', '现场未清理'],
    ]);

    const submits = r.tasks.filter((x) => x.elementId === 'submit');
    expect(submits.map((x) => x.formData)).toEqual([
      [
        { name: 'amount', value: 5000 },
        { name: 'drawings', value: '竣工图 A-01' },
        { name: 'note', value: IMG_VALUE },
      ],
      [
        { name: 'amount', value: 5200 },
        { name: 'drawings', value: '竣工图 A-01（含暖通）' },
      ],
    ]);
    const delegated = r.tasks.find((x) => x.delegateData.length)!;
    expect(delegated.delegateData[0]).toMatchObject({
      by: { username: 'des1' },
      fields: [{ name: 'drawingsChecked', value: true }],
    });
    expect(r.variables.find((v) => v.name === 'approved')?.value).toBe(false);
  });

  it('a withdrawn instance says so, with the initiator’s reason', async () => {
    const r = await recordOf(withdrawn);
    expect(r.outcome).toBe('WITHDRAWN');
    expect(r.timeline.at(-1)).toMatchObject({
      action: 'withdrawn',
      actor: { username: 'owner' },
      comment: '信息填错了',
    });
    expect(renderApprovalRecordHtml(r)).toContain('已撤回');
  });

  it('shows dates in the time zone asked for (Asia/Shanghai by default)', () => {
    const source: RecordSource = {
      instance: {
        process_instance_key: '1',
        tenant_id: '<default>',
        process_definition_key: '2',
        process_definition_id: 'p',
        process_definition_version: 3,
        state: 'ACTIVE',
        business_key: null,
        initiator: 'someone',
        start_date: '2024-05-01T00:30:00Z',
        end_date: null,
      },
      definition: { name: null, version: 3 },
      history: [],
      tasks: [],
      variables: [],
      users: [],
      elements: {},
    };
    const r = buildApprovalRecord(source, new Date('2024-05-02T00:00:00Z'));
    expect(r.processName).toBe('p');
    expect(r.initiator).toEqual({ username: 'someone', name: null });
    expect(renderApprovalRecordHtml(r)).toContain('2024-05-01 08:30:00');
    const berlin = renderApprovalRecordHtml(r, { timeZone: 'Europe/Berlin', lang: 'en' });
    expect(berlin).toContain('2024-05-01 02:30:00');
    expect(berlin).toContain('In progress');
  });
});

describe('the HTML record', () => {
  it('is one page with the timeline in words, the decisions, the form data, names and usernames', async () => {
    const html = renderApprovalRecordHtml(await recordOf(rejected));
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('<title>竣工资料审批 · 审批单</title>');
    expect(html).toContain('HX-2024-001');
    expect(html).toContain(rejected);
    expect(html).toContain('已驳回');
    expect(html).toContain('流程负责人 (owner)');
    for (const word of ['发起', '提交', '同意', '驳回', '转办', '退回至', '委派', '加签', '抄送', '催办'])
      expect(html, word).toContain(`>${word}`);
    expect(html).toContain('转办 → 刘洋（监理） (sup1)');
    expect(html).toContain('退回至「提交资料」 → 赵磊（施工单位） (con1)');
    expect(html).toContain('加签 张伟（现场） (field1)');
    for (const comment of [
      '竣工图缺少暖通部分',
      '出差，请刘洋代为审批',
      '请设计院核对图纸',
      '图纸齐全',
      '请知悉',
      '明天截止',
      '现场未清理',
    ])
      expect(html, comment).toContain(comment);
    // the decisions of the approval node, round by round
    expect(html).toContain('联合审批 (会签) · 第 1 轮: <span class="RETURNED">已退回</span>');
    expect(html).toContain('联合审批 (会签) · 第 2 轮: <span class="FAILED">不通过</span>');
    expect(html).toContain('<td class="reject">驳回</td>');
    // form data of each submission
    expect(html).toContain('<td>drawings</td><td>竣工图 A-01（含暖通）</td>');
    expect(html).toContain('<td>amount</td><td>5200</td>');
    expect(html).toContain('<td>drawingsChecked</td><td>是</td>');
  });

  it('escapes everything and runs nothing: no script, a strict CSP matching its one style block', async () => {
    const html = renderApprovalRecordHtml(await recordOf(rejected));
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toMatch(/<script|<img|onerror=alert\(1\)>/i);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
    const hash = createHash('sha256').update(style).digest('base64');
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)![1];
    expect(csp.replace(/&#39;/g, "'")).toBe(
      `default-src 'none'; style-src 'sha256-${hash}'; img-src 'none'; base-uri 'none'; form-action 'none'`,
    );
    expect(style).toContain('@media print');
    expect(html).not.toMatch(/\sstyle="/);
  });

  it('speaks English when asked', async () => {
    const html = renderApprovalRecordHtml(await recordOf(rejected), { lang: 'en' });
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('Approval record');
    for (const word of [
      'Transferred',
      'Returned',
      'Delegated',
      'Copied (CC)',
      'Urged',
      'Approved',
      'Rejected',
    ])
      expect(html, word).toContain(word);
    expect(html).toContain('Status</th><td>Rejected');
  });
});

describe('the PDF record', () => {
  it('is a PDF with the Chinese font embedded (subset) and the record’s text in it', async () => {
    const pdf = await renderApprovalRecordPdf(await recordOf(rejected));
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.subarray(-6).toString('latin1')).toContain('%%EOF');
    const raw = pdf.toString('latin1');
    expect(raw).toMatch(/\/BaseFont \/[A-Z]{6}\+NotoSansHans-Regular/);
    expect(raw).toContain('/FontFile3');
    // the font is subset: far smaller than the 8 MB font file
    expect(pdf.length).toBeGreaterThan(10_000);
    expect(pdf.length).toBeLessThan(1_000_000);
    expect(Number(/\/Count (\d+)/.exec(raw)![1])).toBeGreaterThanOrEqual(1);
    const text = pdfText(pdf).replace(/\n/g, '');
    for (const s of [
      '竣工资料审批 · 审批单',
      'HX-2024-001',
      '已驳回',
      '流程负责人 (owner)',
      '转办',
      '退回',
      '委派',
      '抄送',
      '催办',
      '同意移交',
      '现场未清理',
      SCRIPT_COMMENT,
      '竣工图 A-01（含暖通）',
    ])
      expect(text, s).toContain(s);
  });

  it('in English too', async () => {
    const text = pdfText(await renderApprovalRecordPdf(await recordOf(withdrawn), { lang: 'en' }));
    expect(text).toContain('Approval record');
    expect(text).toContain('Withdrawn');
    expect(text).toContain('信息填错了');
  });
});

describe('GET /v2/process-instances/{key}/record and record.pdf', () => {
  it('serves the HTML inline under a strict CSP, and the PDF as an attachment', async () => {
    const html = await get(`/v2/process-instances/${rejected}/record`, 'owner');
    expect(html.status, html.body.toString()).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('content-disposition')).toBe(
      `inline; filename="approval-record-${rejected}.html"`,
    );
    const csp = html.headers.get('content-security-policy')!;
    expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+';/);
    expect(csp).toContain('sandbox');
    expect(html.body.toString()).toContain('审批记录');

    const en = await get(`/v2/process-instances/${rejected}/record?lang=en&timeZone=Europe/Berlin`, 'owner');
    expect(en.status).toBe(200);
    expect(en.body.toString()).toContain('Europe/Berlin');
    expect(en.headers.get('content-language')).toBe('en');

    const pdf = await get(`/v2/process-instances/${rejected}/record.pdf`, 'owner');
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.headers.get('content-disposition')).toBe(
      `attachment; filename="approval-record-${rejected}.pdf"`,
    );
    expect(pdf.body.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdfText(pdf.body)).toContain('联合审批');
  });

  it('is for those who may read the instance; everyone else is told it does not exist', async () => {
    // an approver, one copied, an auditor may; a colleague with nothing to do with it may not
    for (const user of ['field1', 'audit1', 'con1'])
      expect((await get(`/v2/process-instances/${rejected}/record`, user)).status, user).toBe(200);
    expect((await get(`/v2/process-instances/${withdrawn}/record`, 'field1')).status).toBe(404);
    expect((await get(`/v2/process-instances/${withdrawn}/record.pdf`, 'field1')).status).toBe(404);
    expect((await get(`/v2/process-instances/${withdrawn}/record`, 'con1')).status).toBe(200);
    expect((await get('/v2/process-instances/123/record.pdf')).status).toBe(404);
    expect((await get('/v2/process-instances/abc/record')).status).toBe(400);
    expect((await get(`/v2/process-instances/${rejected}/record?timeZone=Mars/Olympus`)).status).toBe(400);
    const anonymous = await fetch(`${base}/v2/process-instances/${rejected}/record`);
    expect(anonymous.status).toBe(401);
  });
});
