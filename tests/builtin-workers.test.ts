import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink } from './support/smtp-sink.js';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

const received: Array<{ method: string; url: string; body: string }> = [];
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let server: Server;
let port = 0;
let t: TestRuntime;

const PROCESS = (url: string, retries = 3) => `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d">
  <bpmn:process id="open-work-order" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:serviceTask id="classify"><bpmn:extensionElements><zeebe:taskDefinition type="set-variables"/>
      <zeebe:taskHeaders><zeebe:header key="level" value="=if severity &gt; 3 then &quot;高&quot; else &quot;低&quot;"/><zeebe:header key="source" value="iot"/></zeebe:taskHeaders>
    </bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:serviceTask id="create"><bpmn:extensionElements><zeebe:taskDefinition type="http" retries="${retries}"/>
      <zeebe:taskHeaders><zeebe:header key="method" value="POST"/><zeebe:header key="url" value="${url}"/>
        <zeebe:header key="body" value="={caseNo: caseNo, level: level}"/><zeebe:header key="resultVariable" value="workOrder"/></zeebe:taskHeaders>
    </bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:userTask id="follow"/>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="classify"/><bpmn:sequenceFlow id="b" sourceRef="classify" targetRef="create"/>
    <bpmn:sequenceFlow id="c" sourceRef="create" targetRef="follow"/>
  </bpmn:process>
</bpmn:definitions>`;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, body });
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'WO-1', echo: JSON.parse(body || '{}') }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  smtp = await startSmtpSink();
  t = await startTestRuntime({
    runtime: {
      httpAllowedHosts: [`127.0.0.1:${port}`],
      mail: { smtpUrl: smtp.url, from: 'Lifeflow <noreply@lifeflow.test>' },
    },
  });
  t.runtime.start();
});
afterAll(async () => {
  t?.runtime.stop();
  await t?.close();
  await new Promise((r) => server.close(r));
  await smtp?.close();
});

const MAIL = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="dm">
  <bpmn:process id="notify-owner" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:sendTask id="mail"><bpmn:extensionElements><zeebe:taskDefinition type="email"/>
      <zeebe:taskHeaders><zeebe:header key="to" value="=owners"/><zeebe:header key="subject" value="=&quot;移交完成：&quot; + project"/>
        <zeebe:header key="body" value="=&quot;项目 &quot; + project + &quot; 已完成竣工移交。&quot;"/></zeebe:taskHeaders>
    </bpmn:extensionElements></bpmn:sendTask>
    <bpmn:userTask id="after"/>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="mail"/><bpmn:sequenceFlow id="b" sourceRef="mail" targetRef="after"/>
  </bpmn:process>
</bpmn:definitions>`;

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('built-in job types', () => {
  it('sets variables from FEEL headers and calls an allowed HTTP endpoint, keeping the answer', async () => {
    expect(
      (
        await t.deploy([
          { name: 'wo.bpmn', content: PROCESS(`=&quot;http://127.0.0.1:${port}/work-orders&quot;`) },
        ])
      ).status,
    ).toBe(200);
    const start = await t.api('POST', '/v2/process-instances', {
      processDefinitionId: 'open-work-order',
      variables: { caseNo: 'FB-7', severity: 5 },
    });
    const key = start.body.processInstanceKey;
    await until(async () => {
      const tasks = await t.api('POST', '/v2/user-tasks/search', { filter: { processInstanceKey: key } });
      return tasks.body.items[0];
    }, 'the follow-up task');
    const vars = await t.api('POST', '/v2/variables/search', {
      filter: { processInstanceKey: key, scopeKey: key },
    });
    const byName = Object.fromEntries(vars.body.items.map((v: any) => [v.name, JSON.parse(v.value)]));
    expect(byName).toMatchObject({
      level: '高',
      source: 'iot',
      workOrder: { status: 201, body: { id: 'WO-1', echo: { caseNo: 'FB-7', level: '高' } } },
    });
    expect(received).toEqual([
      { method: 'POST', url: '/work-orders', body: JSON.stringify({ caseNo: 'FB-7', level: '高' }) },
    ]);
  });

  it('refuses hosts that are not on the allowlist: the job fails into an incident that says so', async () => {
    const before = received.length;
    expect(
      (await t.deploy([{ name: 'wo.bpmn', content: PROCESS('http://169.254.169.254/latest/meta-data', 1) }]))
        .status,
    ).toBe(200);
    const start = await t.api('POST', '/v2/process-instances', {
      processDefinitionId: 'open-work-order',
      variables: { caseNo: 'FB-8', severity: 1 },
    });
    const incident = await until(async () => {
      const res = await t.api('POST', '/v2/incidents/search', {
        filter: { processInstanceKey: start.body.processInstanceKey },
      });
      return res.body.items[0];
    }, 'the incident');
    expect(incident).toMatchObject({ errorType: 'JOB_NO_RETRIES', elementId: 'create' });
    expect(incident.errorMessage).toContain('not on the allowlist');
    expect(received.length).toBe(before);
  });

  it('sends an email through the configured SMTP server', async () => {
    expect((await t.deploy([{ name: 'mail.bpmn', content: MAIL }])).status).toBe(200);
    const start = await t.api('POST', '/v2/process-instances', {
      processDefinitionId: 'notify-owner',
      variables: { owners: ['owner@park.cn', 'pm@park.cn'], project: '滨江一期' },
    });
    await until(async () => {
      const tasks = await t.api('POST', '/v2/user-tasks/search', {
        filter: { processInstanceKey: start.body.processInstanceKey },
      });
      return tasks.body.items[0];
    }, 'the task after the email');
    // The runtime's own notification emails (to demo users) go through the same server: skip them.
    const sent = smtp.mails.filter((m) => m.to.some((a) => a.endsWith('@park.cn')));
    expect(sent).toHaveLength(1);
    expect(sent[0].from).toBe('noreply@lifeflow.test');
    expect(sent[0].to).toEqual(['owner@park.cn', 'pm@park.cn']);
    const [head, ...rest] = sent[0].data.split('\r\n\r\n');
    const subject = /Subject: =\?UTF-8\?B\?([^?]+)\?=/i.exec(head)?.[1];
    expect(subject && Buffer.from(subject, 'base64').toString('utf8')).toBe('移交完成：滨江一期');
    const body = rest.join('\r\n\r\n').trim();
    const decoded = /base64/i.test(head)
      ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
      : Buffer.from(
          body
            .replace(/=\r\n/g, '')
            .replace(/=([0-9A-F]{2})/g, (_m, h) => String.fromCharCode(Number.parseInt(h, 16))),
          'latin1',
        ).toString('utf8');
    expect(decoded).toContain('项目 滨江一期 已完成竣工移交。');
  });
});
