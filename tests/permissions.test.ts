import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addOtherTenant, startTestRuntime, type TestRuntime } from './support/test-runtime.js';

const fixture = (name: string) => ({
  name,
  content: readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'),
});

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
  // A second tenant with its own process owner, bob.
  // Another tenant with its own user, bob.
  await addOtherTenant(t, { username: 'bob', password: 'bob-pass', name: '乙-流程负责人', roles: ['owner'] });
  expect(
    (
      await t.deploy([
        fixture('reference.bpmn'),
        fixture('review-form.form'),
        fixture('service-flow.bpmn'),
        fixture('severity.rules.json'),
      ])
    ).status,
  ).toBe(200);
});
afterAll(async () => {
  await t?.close();
});

const bob = { user: 'bob', password: 'bob-pass' };

async function startReference(user = 'owner') {
  const res = await t.api('POST', '/v2/process-instances', { processDefinitionId: 'reference' }, { user });
  expect(res.status).toBe(200);
  const task = await t.api(
    'POST',
    '/v2/user-tasks/search',
    { filter: { processInstanceKey: res.body.processInstanceKey } },
    { user },
  );
  return { key: res.body.processInstanceKey as string, task: task.body.items[0] };
}

describe('roles', () => {
  it('lets only administrators and process owners deploy, cancel, resolve, change variables and work jobs', async () => {
    const { key } = await startReference('field1');
    const deploy = await t.deploy([fixture('reference.bpmn')], { user: 'field1' });
    expect(deploy.status).toBe(403);
    expect(deploy.body.detail).toContain('deploy');
    expect(
      (await t.api('POST', `/v2/process-instances/${key}/cancellation`, undefined, { user: 'field1' }))
        .status,
    ).toBe(403);
    expect(
      (
        await t.api(
          'PUT',
          `/v2/element-instances/${key}/variables`,
          { variables: { a: 1 } },
          { user: 'field1' },
        )
      ).status,
    ).toBe(403);
    expect((await t.api('POST', '/v2/incidents/1/resolution', undefined, { user: 'field1' })).status).toBe(
      403,
    );
    expect(
      (
        await t.api(
          'POST',
          '/v2/jobs/activation',
          { type: 'x', timeout: 1000, maxJobsToActivate: 1 },
          { user: 'field1' },
        )
      ).status,
    ).toBe(403);
    // what they may do: start, read
    expect((await t.api('GET', `/v2/process-instances/${key}`, undefined, { user: 'field1' })).status).toBe(
      200,
    );
    expect(
      (await t.api('POST', `/v2/process-instances/${key}/cancellation`, undefined, { user: 'owner' })).status,
    ).toBe(204);
  });

  it('lets candidates complete or claim a task, the assignee only once assigned, and managers reassign', async () => {
    const { task } = await startReference();
    const data = { variables: { amount: 1, decision: 'approve' } };
    const notCandidate = await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/completion`, data, {
      user: 'ops1',
    });
    expect(notCandidate.status).toBe(403);
    expect(notCandidate.body.detail).toContain('group <engineering>');
    expect(
      (
        await t.api(
          'POST',
          `/v2/user-tasks/${task.userTaskKey}/assignment`,
          { assignee: 'ops1' },
          { user: 'ops1' },
        )
      ).status,
    ).toBe(403);
    expect(
      (
        await t.api(
          'POST',
          `/v2/user-tasks/${task.userTaskKey}/assignment`,
          { assignee: 'eng1' },
          { user: 'eng1' },
        )
      ).status,
    ).toBe(204);
    expect(
      (
        await t.api(
          'POST',
          `/v2/user-tasks/${task.userTaskKey}/assignment`,
          { assignee: 'ops1' },
          { user: 'owner' },
        )
      ).status,
    ).toBe(204);
    const formerAssignee = await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/completion`, data, {
      user: 'eng1',
    });
    expect(formerAssignee.status).toBe(403);
    expect(formerAssignee.body.detail).toContain('assigned to <ops1>');
    expect(
      (await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/completion`, data, { user: 'ops1' })).status,
    ).toBe(204);
  });
});

describe('tenant isolation', () => {
  it('keeps tenant B out of the default tenant: nothing is listed, every key is unknown', async () => {
    const { key, task } = await startReference();
    expect((await t.api('POST', '/v2/process-instances/search', {}, bob)).body.items).toEqual([]);
    expect((await t.api('POST', '/v2/user-tasks/search', {}, bob)).body.items).toEqual([]);
    expect((await t.api('POST', '/v2/process-definitions/search', {}, bob)).body.items).toEqual([]);
    expect((await t.api('POST', '/v2/variables/search', {}, bob)).body.items).toEqual([]);
    expect((await t.api('GET', `/v2/process-instances/${key}`, undefined, bob)).status).toBe(404);
    expect((await t.api('GET', `/v2/process-instances/${key}/history`, undefined, bob)).status).toBe(404);
    expect((await t.api('GET', `/v2/user-tasks/${task.userTaskKey}`, undefined, bob)).status).toBe(404);
    expect((await t.api('GET', `/v2/user-tasks/${task.userTaskKey}/form`, undefined, bob)).status).toBe(404);
    expect(
      (await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/completion`, { variables: {} }, bob)).status,
    ).toBe(404);
    expect((await t.api('POST', `/v2/process-instances/${key}/cancellation`, undefined, bob)).status).toBe(
      404,
    );
    expect(
      (await t.api('PUT', `/v2/element-instances/${key}/variables`, { variables: { a: 1 } }, bob)).status,
    ).toBe(404);
    expect(
      (await t.api('POST', '/v2/process-instances', { processDefinitionId: 'reference' }, bob)).status,
    ).toBe(404);
    expect(
      (
        await t.api(
          'POST',
          '/v2/process-instances',
          { processDefinitionId: 'reference', tenantId: '<default>' },
          bob,
        )
      ).status,
    ).toBe(403);
    const form = new FormData();
    form.append('resources', new Blob([fixture('reference.bpmn').content]), 'reference.bpmn');
    form.append('tenantId', '<default>');
    const intoDefault = await fetch(`${t.baseUrl}/v2/deployments`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('bob:bob-pass').toString('base64')}` },
      body: form,
    });
    expect(intoDefault.status).toBe(403);
    // bob may not be assigned a task of a tenant he does not belong to
    const assign = await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/assignment`, { assignee: 'bob' });
    expect(assign.status).toBe(400);
  });

  it('gives each tenant its own definitions, instances and jobs for the same process id', async () => {
    const form = new FormData();
    form.append('resources', new Blob([fixture('service-flow.bpmn').content]), 'service-flow.bpmn');
    form.append('resources', new Blob([fixture('severity.rules.json').content]), 'severity.rules.json');
    form.append('tenantId', 'tenant-b');
    const res = await fetch(`${t.baseUrl}/v2/deployments`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('bob:bob-pass').toString('base64')}` },
      body: form,
    });
    const body = (await res.json()) as any;
    expect(res.status).toBe(200);
    expect(body.deployments[0].processDefinition).toMatchObject({
      processDefinitionId: 'service-flow',
      processDefinitionVersion: 1,
      tenantId: 'tenant-b',
    });
    const started = await t.api(
      'POST',
      '/v2/process-instances',
      { processDefinitionId: 'service-flow', variables: { downtimeHours: 1 } },
      bob,
    );
    expect(started.body.tenantId).toBe('tenant-b');
    // the default tenant's worker does not get tenant B's job; bob's worker does
    const admins = await t.api('POST', '/v2/jobs/activation', {
      type: 'notify-contractor',
      timeout: 10000,
      maxJobsToActivate: 10,
      requestTimeout: -1,
    });
    expect(admins.body.jobs.filter((j: any) => j.tenantId === 'tenant-b')).toEqual([]);
    const bobs = await t.api(
      'POST',
      '/v2/jobs/activation',
      { type: 'notify-contractor', timeout: 10000, maxJobsToActivate: 10, requestTimeout: -1 },
      bob,
    );
    expect(bobs.body.jobs.map((j: any) => j.processInstanceKey)).toEqual([started.body.processInstanceKey]);
    expect((await t.api('GET', `/v2/process-instances/${started.body.processInstanceKey}`)).status).toBe(404);
  });
});
