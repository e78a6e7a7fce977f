/**
 * The authorization matrix: every route the server registers is called by an administrator, a
 * process owner, an ordinary user, an auditor (all of the default tenant), an administrator of
 * another tenant, and without credentials, and each answer is checked against the rule written
 * here. A route without a rule fails the first test, so a new route cannot ship unreviewed.
 *
 * Requests that change something get a fresh target per caller (a new instance, task, user, ...),
 * so every caller is checked against the same starting point.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResponse, TestRuntime } from './support/test-runtime.js';
import { addOtherTenant, startTestRuntime } from './support/test-runtime.js';
import { png } from './support/sample-files.js';

type Caller = 'admin' | 'owner' | 'user' | 'auditor' | 'other';
const CALLERS: Caller[] = ['admin', 'owner', 'user', 'auditor', 'other'];
const LOGIN: Record<Caller, { user: string; password?: string }> = {
  admin: { user: 'admin' },
  owner: { user: 'owner' },
  user: { user: 'field1' },
  auditor: { user: 'audit1' },
  other: { user: 'bob', password: 'bob-pass-1' },
};

interface Call {
  path: string;
  body?: unknown;
  /** Multipart upload instead of JSON. */
  files?: Array<{ name: string; content: string }>;
  /** Any other multipart body (built anew for every send). */
  form?: () => FormData;
}
interface Rule {
  /** Expected status per caller: a number, or 'none' for a route that needs no credentials. */
  expect: Record<Caller, number>;
  /** Builds the request for a caller (fresh targets for writes). */
  call: (c: Caller) => Promise<Call> | Call;
  /** For searches: the other tenant's answer must not mention the default tenant's data. */
  noLeak?: boolean;
  /** Undoes what a successful call changed for the caller (so later rules start alike). */
  cleanup?: (c: Caller, res: ApiResponse) => Promise<void>;
}

let t: TestRuntime;
let seq = 0;
const uniq = (p: string) => `${p}-${++seq}`;
const as = (c: Caller) => LOGIN[c];
const ok = (res: ApiResponse, what: string) => {
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${res.text}`);
  return res;
};

const defs = (id: string, body: string) => `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_${id}">
  <bpmn:message id="m" name="matrix-ping"><bpmn:extensionElements><zeebe:subscription correlationKey="=k"/></bpmn:extensionElements></bpmn:message>
  <bpmn:process id="${id}" isExecutable="true">${body}</bpmn:process>
</bpmn:definitions>`;
const MATRIX = defs(
  'matrix',
  `<bpmn:startEvent id="s"/><bpmn:userTask id="work"/><bpmn:endEvent id="e"/>
   <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/><bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e"/>`,
);
const MATRIX_JOB = defs(
  'matrix-job',
  `<bpmn:startEvent id="s"/><bpmn:serviceTask id="call"><bpmn:extensionElements><zeebe:taskDefinition type="matrix-work"/></bpmn:extensionElements></bpmn:serviceTask>
   <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call"/>`,
);
const MATRIX_MSG = defs(
  'matrix-msg',
  `<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="wait"><bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>
   <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>`,
);

const MATRIX_APPROVAL = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:lf="http://lifeflow.dev/schema/bpmn/1.0" id="d_approval">
  <bpmn:process id="matrix-approval" isExecutable="true"><bpmn:startEvent id="s"/>
    <bpmn:userTask id="sign"><bpmn:extensionElements><lf:approval mode="single" assignees="=[approver]"/></bpmn:extensionElements></bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sign"/></bpmn:process>
</bpmn:definitions>`;

const MATRIX_TWO = `<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d_two">
  <bpmn:process id="matrix-two" isExecutable="true"><bpmn:startEvent id="s"/>
    <bpmn:userTask id="first"><bpmn:extensionElements><zeebe:assignmentDefinition assignee="admin"/></bpmn:extensionElements></bpmn:userTask>
    <bpmn:userTask id="second"><bpmn:extensionElements><zeebe:assignmentDefinition assignee="=second"/></bpmn:extensionElements></bpmn:userTask>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="first"/><bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="second"/></bpmn:process>
</bpmn:definitions>`;

// ---- fixtures, created by the default tenant's administrator -------------------------------------

const fresh = {
  async instance(variables: Record<string, unknown> = {}) {
    return t.start('matrix', variables);
  },
  /** An instance whose task is assigned to `assignee` (or open when null); returns both keys. */
  async task(assignee: string | null) {
    const key = await fresh.instance({ x: 1 });
    const [task] = await t.openTasks(key);
    if (assignee)
      ok(await t.api('POST', `/v2/user-tasks/${task.userTaskKey}/assignment`, { assignee }), 'assign task');
    return { key, taskKey: task.userTaskKey as string };
  },
  async job() {
    await t.start('matrix-job');
    const res = ok(
      await t.api('POST', '/v2/jobs/activation', {
        type: 'matrix-work',
        timeout: 600_000,
        maxJobsToActivate: 1,
        requestTimeout: -1,
      }),
      'activate',
    );
    return res.body.jobs[0].jobKey as string;
  },
  async incident() {
    const job = await fresh.job();
    ok(await t.api('POST', `/v2/jobs/${job}/failure`, { retries: 0, errorMessage: 'matrix' }), 'fail job');
    const res = await t.api('POST', '/v2/incidents/search', { filter: { jobKey: job } });
    return res.body.items[0].incidentKey as string;
  },
  async user(extra: Record<string, unknown> = {}) {
    const username = uniq('mx-user');
    ok(await t.api('POST', '/v2/users', { username, password: 'matrix-pass', ...extra }), 'create user');
    return username;
  },
  async group() {
    const groupId = uniq('mx-group');
    ok(await t.api('POST', '/v2/groups', { groupId, name: groupId }), 'create group');
    return groupId;
  },
  async role() {
    const roleId = uniq('mx-role');
    ok(await t.api('POST', '/v2/roles', { roleId, name: roleId }), 'create role');
    return roleId;
  },
  /** A tenant the default administrator creates (and so belongs to). */
  async tenant() {
    const tenantId = uniq('mx-tenant');
    ok(await t.api('POST', '/v2/tenants', { tenantId, name: tenantId }), 'create tenant');
    return tenantId;
  },
  /** A photo `uploader` uploaded for the task they are assigned to; returns its documentId. */
  async document(uploader = 'eng1', password?: string) {
    const { taskKey } = await fresh.task(uploader);
    const res = ok(
      await t.upload('/v2/documents', photoForm({ userTaskKey: taskKey }), { user: uploader, password }),
      'upload document',
    );
    return res.body.documentId as string;
  },
  /** The first task of matrix-two, done by `user` (reassigned to them first); returns its key. */
  async completedFirst(user: string) {
    const key = await t.start('matrix-two', { second: 'eng1' });
    const [first] = await t.openTasks(key);
    if (user !== 'admin')
      ok(
        await t.api('POST', `/v2/user-tasks/${first.userTaskKey}/assignment`, { assignee: user }),
        'reassign',
      );
    if (user === 'audit1') {
      // an auditor cannot work tasks: the admin completes it, and the auditor is refused anyway
      ok(
        await t.api('POST', `/v2/user-tasks/${first.userTaskKey}/assignment`, { assignee: 'admin' }),
        'back',
      );
      ok(await t.complete(first), 'complete');
    } else ok(await t.complete({ ...first, assignee: user }, {}, { user }), 'complete');
    return first.userTaskKey as string;
  },
  /** A working calendar of the default tenant; returns its id. */
  async calendar() {
    const calendarId = uniq('mx-cal');
    ok(await t.api('POST', '/v2/working-calendars', { calendarId, name: '项目部日历' }), 'calendar');
    return calendarId;
  },
  async department() {
    const res = ok(
      await t.api('POST', '/v2/departments', { departmentId: uniq('mx-dept'), name: '工程部' }),
      'department',
    );
    return res.body.departmentKey as string;
  },
  /** An out-of-office rule of `user` (set by the administrator); returns its key. */
  async substitution(user: string) {
    const res = ok(
      await t.api('POST', '/v2/substitutions', {
        username: user,
        substitute: user === 'sup1' ? 'ops1' : 'sup1',
        startsAt: '2030-01-01T00:00:00Z',
        endsAt: '2030-01-08T00:00:00Z',
      }),
      'substitution',
    );
    return res.body.substitutionKey as string;
  },
  /** The task of `signer` in a 会签 of `signer` and eng1; returns its key. */
  async countersign(signer: string) {
    const key = await t.start('matrix-countersign', { signers: [signer, 'eng1'] });
    const task = (await t.openTasks(key)).find((x: any) => x.assignee === signer);
    return task.userTaskKey as string;
  },
  /** A task eng1 delegated to `delegate`; returns its key. */
  async delegated(delegate: string) {
    const { taskKey } = await fresh.task('eng1');
    ok(
      await t.api('POST', `/v2/user-tasks/${taskKey}/delegation`, { delegate }, { user: 'eng1' }),
      'delegate',
    );
    return taskKey;
  },
  /** A second task assigned to `user`, after a first one the admin did; returns its key. */
  async returnable(user: string) {
    const key = await t.start('matrix-two', { second: user });
    const [first] = await t.openTasks(key);
    ok(await t.complete(first), 'first task');
    const [second] = await t.openTasks(key);
    return second.userTaskKey as string;
  },
  /** An approval task assigned to `approver`; returns its key. */
  async approval(approver: string) {
    const key = await t.start('matrix-approval', { approver });
    const [task] = await t.openTasks(key);
    return task.userTaskKey as string;
  },
  /** A notification for the caller, in their tenant. */
  async notification(c: Caller) {
    const key = t.runtime.nextKey();
    await t.runtime.knex('notifications').insert({
      notification_key: key,
      tenant_id: c === 'other' ? 'tenant-b' : '<default>',
      recipient: as(c).user,
      event: 'CC',
      data: JSON.stringify({}),
      title: '抄送',
      body: '请知悉',
      created_at: new Date(),
    });
    return key;
  },
  async webhook() {
    const res = ok(
      await t.api('POST', '/v2/webhooks', { name: uniq('hook'), url: 'https://hooks.example.cn/x' }),
      'create webhook',
    );
    return res.body.webhookKey as string;
  },
  async authorization() {
    const res = ok(
      await t.api('POST', '/v2/authorizations', {
        ownerType: 'GROUP',
        ownerId: 'engineering',
        resourceType: 'PROCESS_DEFINITION',
        resourceId: uniq('mx-auth-res'),
        permissionTypes: ['READ_PROCESS_INSTANCE'],
      }),
      'create authorization',
    );
    return res.body.authorizationKey as string;
  },
};

function photoForm(fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  form.append('file', new Blob([png()], { type: 'image/png' }), '现场.png');
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  return form;
}

/** Fixed targets for reads, created once. */
/** A small module file (one process) for the module routes. */
const matrixModule = (id: string, version = '1.0.0') => ({
  format: 'lifeflow-module',
  formatVersion: 1,
  id,
  version,
  name: { 'zh-CN': '矩阵模块', en: 'Matrix module' },
  resources: [{ name: 'mod.bpmn', content: MATRIX.replace(/matrix/g, `${id}-proc`) }],
  dashboards: [{ id: 'matrix-volume', name: { 'zh-CN': '问题量', en: 'Volume' }, query: 'feedback-volume' }],
});
/** A fresh asset of the default tenant; returns its key. */
async function freshAsset(): Promise<string> {
  return ok(await t.api('POST', '/v2/assets', { code: uniq('AS'), name: '水泵', project: '一期' }), 'asset')
    .body.assetKey;
}
/** Imports a fresh module and enables it in the default tenant; returns its id. */
async function freshModule(): Promise<string> {
  const id = uniq('mx');
  ok(await t.api('POST', '/v2/modules', matrixModule(id)), 'import module');
  ok(await t.api('POST', `/v2/modules/${id}/enablement`, {}), 'enable module');
  return id;
}

const fixed: Record<string, string> = {};

const all = (status: number): Record<Caller, number> => ({
  admin: status,
  owner: status,
  user: status,
  auditor: status,
  other: status,
});
/** Readable by everyone in the default tenant, invisible (404) to the other tenant. */
const tenantRead = { admin: 200, owner: 200, user: 200, auditor: 200, other: 404 };
/** Administrators of the default tenant only; others 403; the other tenant's admin 404. */
const adminWrite = (status: number) => ({ admin: status, owner: 403, user: 403, auditor: 403, other: 404 });
/** Administrators create in their own tenant: the other tenant's admin succeeds too. */
const adminCreate = { admin: 201, owner: 403, user: 403, auditor: 403, other: 201 };
/** Instance data: managers and auditors read it; the user has no part in the fixture; 404 elsewhere. */
const instanceRead = { admin: 200, owner: 200, user: 404, auditor: 200, other: 404 };
const managerWrite = (status: number) => ({
  admin: status,
  owner: status,
  user: 403,
  auditor: 403,
  other: 404,
});

const RULES: Record<string, Rule> = {
  'GET /healthz': { expect: all(200), call: () => ({ path: '/healthz' }) },
  'POST /v2/auth/login': {
    expect: all(200),
    call: (c) => ({
      path: '/v2/auth/login',
      body: { username: as(c).user, password: as(c).password ?? (c === 'admin' ? 'admin' : 'demo') },
    }),
  },
  'POST /v2/auth/logout': { expect: all(204), call: () => ({ path: '/v2/auth/logout' }) },
  'GET /v2/authentication/me': { expect: all(200), call: () => ({ path: '/v2/authentication/me' }) },
  'PUT /v2/authentication/me/preferences': {
    expect: all(200),
    call: () => ({ path: '/v2/authentication/me/preferences', body: { locale: 'zh-CN' } }),
  },
  'POST /v2/auth/tokens': {
    expect: all(201),
    call: () => ({ path: '/v2/auth/tokens', body: { name: 'matrix' } }),
  },
  'GET /v2/auth/tokens': { expect: all(200), call: () => ({ path: '/v2/auth/tokens' }) },
  'DELETE /v2/auth/tokens/:key': {
    expect: all(204),
    call: async (c) => {
      const res = ok(await t.api('POST', '/v2/auth/tokens', { name: 'to revoke' }, as(c)), 'token');
      return { path: `/v2/auth/tokens/${res.body.tokenKey}` };
    },
  },

  // users
  'POST /v2/users/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/users/search', body: {} }),
  },
  'POST /v2/users': {
    expect: adminCreate,
    call: () => ({ path: '/v2/users', body: { username: uniq('mx-new'), password: 'matrix-pass' } }),
  },
  'GET /v2/users/:username': { expect: tenantRead, call: () => ({ path: '/v2/users/eng1' }) },
  'PUT /v2/users/:username': {
    expect: adminWrite(200),
    call: async () => ({ path: `/v2/users/${await fresh.user()}`, body: { name: 'renamed' } }),
  },
  'DELETE /v2/users/:username': {
    expect: adminWrite(204),
    call: async () => ({ path: `/v2/users/${await fresh.user()}` }),
  },

  // groups
  'POST /v2/groups/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/groups/search', body: {} }),
  },
  'POST /v2/groups': {
    expect: adminCreate,
    call: () => ({ path: '/v2/groups', body: { groupId: uniq('mx-g') } }),
  },
  'GET /v2/groups/:groupId': { expect: tenantRead, call: () => ({ path: '/v2/groups/engineering' }) },
  'PUT /v2/groups/:groupId': {
    expect: adminWrite(200),
    call: async () => ({ path: `/v2/groups/${await fresh.group()}`, body: { name: '新名字' } }),
  },
  'DELETE /v2/groups/:groupId': {
    expect: adminWrite(204),
    call: async () => ({ path: `/v2/groups/${await fresh.group()}` }),
  },
  'PUT /v2/groups/:groupId/users/:username': {
    expect: adminWrite(204),
    call: async () => ({ path: `/v2/groups/${await fresh.group()}/users/eng1` }),
  },
  'DELETE /v2/groups/:groupId/users/:username': {
    expect: adminWrite(204),
    call: async () => {
      const g = await fresh.group();
      ok(await t.api('PUT', `/v2/groups/${g}/users/eng1`), 'add member');
      return { path: `/v2/groups/${g}/users/eng1` };
    },
  },
  'POST /v2/groups/:groupId/users/search': {
    expect: tenantRead,
    call: () => ({ path: '/v2/groups/engineering/users/search', body: {} }),
  },

  // roles
  'POST /v2/roles/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/roles/search', body: {} }),
  },
  'POST /v2/roles': {
    expect: adminCreate,
    call: () => ({ path: '/v2/roles', body: { roleId: uniq('mx-r') } }),
  },
  'GET /v2/roles/:roleId': { expect: tenantRead, call: () => ({ path: `/v2/roles/${fixed.role}` }) },
  'PUT /v2/roles/:roleId': {
    expect: adminWrite(200),
    call: async () => ({ path: `/v2/roles/${await fresh.role()}`, body: { name: '新角色' } }),
  },
  'DELETE /v2/roles/:roleId': {
    expect: adminWrite(204),
    call: async () => ({ path: `/v2/roles/${await fresh.role()}` }),
  },
  'PUT /v2/roles/:roleId/users/:memberId': {
    expect: adminWrite(204),
    call: async () => ({ path: `/v2/roles/${fixed.role}/users/${await fresh.user()}` }),
  },
  'DELETE /v2/roles/:roleId/users/:memberId': {
    expect: adminWrite(204),
    call: async () => {
      const u = await fresh.user();
      ok(await t.api('PUT', `/v2/roles/${fixed.role}/users/${u}`), 'give role');
      return { path: `/v2/roles/${fixed.role}/users/${u}` };
    },
  },
  'POST /v2/roles/:roleId/users/search': {
    expect: tenantRead,
    call: () => ({ path: `/v2/roles/${fixed.role}/users/search`, body: {} }),
  },
  'PUT /v2/roles/:roleId/groups/:memberId': {
    expect: adminWrite(204),
    call: async () => ({ path: `/v2/roles/${fixed.role}/groups/${await fresh.group()}` }),
  },
  'DELETE /v2/roles/:roleId/groups/:memberId': {
    expect: adminWrite(204),
    call: async () => {
      const g = await fresh.group();
      ok(await t.api('PUT', `/v2/roles/${fixed.role}/groups/${g}`), 'give role');
      return { path: `/v2/roles/${fixed.role}/groups/${g}` };
    },
  },
  'POST /v2/roles/:roleId/groups/search': {
    expect: tenantRead,
    call: () => ({ path: `/v2/roles/${fixed.role}/groups/search`, body: {} }),
  },

  // tenants
  'POST /v2/tenants/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/tenants/search', body: {} }),
  },
  'POST /v2/tenants': {
    expect: adminCreate,
    call: () => ({ path: '/v2/tenants', body: { tenantId: uniq('mx-t'), name: '项目公司' } }),
    // the creator joins the new tenant: leave it again by deleting it
    cleanup: async (c, res) => {
      ok(await t.api('DELETE', `/v2/tenants/${res.body.tenantId}`, undefined, as(c)), 'delete tenant');
    },
  },
  'GET /v2/tenants/:tenantId': { expect: tenantRead, call: () => ({ path: '/v2/tenants/<default>' }) },
  'PUT /v2/tenants/:tenantId': {
    expect: adminWrite(200),
    call: async () => ({ path: `/v2/tenants/${await fresh.tenant()}`, body: { name: '改名' } }),
  },
  'DELETE /v2/tenants/:tenantId': {
    expect: adminWrite(204),
    call: async () => ({ path: `/v2/tenants/${await fresh.tenant()}` }),
  },
  'PUT /v2/tenants/:tenantId/users/:memberId': {
    expect: adminWrite(204),
    call: async () => ({ path: `/v2/tenants/${await fresh.tenant()}/users/eng1` }),
  },
  'DELETE /v2/tenants/:tenantId/users/:memberId': {
    expect: adminWrite(204),
    call: async () => {
      const tenant = await fresh.tenant();
      ok(await t.api('PUT', `/v2/tenants/${tenant}/users/eng1`), 'add to tenant');
      return { path: `/v2/tenants/${tenant}/users/eng1` };
    },
  },
  'POST /v2/tenants/:tenantId/users/search': {
    expect: tenantRead,
    call: () => ({ path: '/v2/tenants/<default>/users/search', body: {} }),
  },
  'PUT /v2/tenants/:tenantId/groups/:memberId': {
    expect: adminWrite(204),
    call: async () => ({ path: `/v2/tenants/${await fresh.tenant()}/groups/engineering` }),
  },
  'DELETE /v2/tenants/:tenantId/groups/:memberId': {
    expect: adminWrite(204),
    call: async () => {
      const tenant = await fresh.tenant();
      ok(await t.api('PUT', `/v2/tenants/${tenant}/groups/engineering`), 'add to tenant');
      return { path: `/v2/tenants/${tenant}/groups/engineering` };
    },
  },
  'POST /v2/tenants/:tenantId/groups/search': {
    expect: tenantRead,
    call: () => ({ path: '/v2/tenants/<default>/groups/search', body: {} }),
  },

  // authorizations
  'POST /v2/authorizations/search': {
    expect: { admin: 200, owner: 403, user: 403, auditor: 403, other: 200 },
    noLeak: true,
    call: () => ({ path: '/v2/authorizations/search', body: {} }),
  },
  'POST /v2/authorizations': {
    expect: adminWrite(201),
    call: () => ({
      path: '/v2/authorizations',
      body: {
        ownerType: 'GROUP',
        ownerId: 'engineering',
        resourceType: 'PROCESS_DEFINITION',
        resourceId: 'matrix',
        permissionTypes: ['READ_PROCESS_INSTANCE'],
      },
    }),
  },
  'GET /v2/authorizations/:authorizationKey': {
    expect: adminWrite(200),
    call: () => ({ path: `/v2/authorizations/${fixed.authorization}` }),
  },
  'PUT /v2/authorizations/:authorizationKey': {
    expect: adminWrite(204),
    call: async () => ({
      path: `/v2/authorizations/${await fresh.authorization()}`,
      body: {
        ownerType: 'GROUP',
        ownerId: 'operations',
        resourceType: 'PROCESS_DEFINITION',
        resourceId: 'matrix-nothing',
        permissionTypes: ['READ_PROCESS_INSTANCE'],
      },
    }),
  },
  'DELETE /v2/authorizations/:authorizationKey': {
    expect: adminWrite(204),
    call: async () => ({ path: `/v2/authorizations/${await fresh.authorization()}` }),
  },

  // definitions
  'POST /v2/deployments': {
    // the other tenant's owner deploys into their own tenant
    expect: { admin: 200, owner: 200, user: 403, auditor: 403, other: 200 },
    call: () => ({
      path: '/v2/deployments',
      files: [{ name: 'other.bpmn', content: MATRIX.replace(/matrix/g, 'matrix-other') }],
    }),
  },
  'POST /v2/process-definitions/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/process-definitions/search', body: {} }),
  },
  'GET /v2/process-definitions/:key': {
    expect: tenantRead,
    call: () => ({ path: `/v2/process-definitions/${fixed.definition}` }),
  },
  'GET /v2/process-definitions/:key/xml': {
    expect: tenantRead,
    call: () => ({ path: `/v2/process-definitions/${fixed.definition}/xml` }),
  },

  'POST /v2/process-definitions/statistics': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/process-definitions/statistics', body: {} }),
  },
  // Counted over the instances the caller may read.
  'POST /v2/process-definitions/:key/statistics/element-instances': {
    expect: tenantRead,
    call: () => ({
      path: `/v2/process-definitions/${fixed.definition}/statistics/element-instances`,
      body: {},
    }),
  },
  'POST /v2/process-definitions/:key/statistics/daily': {
    expect: tenantRead,
    call: () => ({ path: `/v2/process-definitions/${fixed.definition}/statistics/daily`, body: {} }),
  },
  'POST /v2/forms/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/forms/search', body: {} }),
  },
  // modules: the group standard is imported by the group tenant's administrators; each tenant
  // enables and customises it for itself (the other tenant acts on its own state)
  'POST /v2/modules': {
    expect: { admin: 201, owner: 403, user: 403, auditor: 403, other: 403 },
    call: () => ({ path: '/v2/modules', body: matrixModule(uniq('mi')) }),
  },
  'POST /v2/modules/search': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 200, other: 200 },
    call: () => ({ path: '/v2/modules/search', body: {} }),
  },
  'GET /v2/modules/:moduleId': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 200, other: 200 },
    call: () => ({ path: `/v2/modules/${fixed.module}` }),
  },
  'GET /v2/modules/:moduleId/versions/:version/file': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 403, other: 200 },
    call: () => ({ path: `/v2/modules/${fixed.module}/versions/1.0.0/file` }),
  },
  'POST /v2/modules/:moduleId/enablement': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 403, other: 200 },
    call: () => ({ path: `/v2/modules/${fixed.module}/enablement`, body: {} }),
  },
  'DELETE /v2/modules/:moduleId/enablement': {
    expect: { admin: 204, owner: 204, user: 403, auditor: 403, other: 404 },
    call: async () => ({ path: `/v2/modules/${await freshModule()}/enablement` }),
  },
  'POST /v2/modules/:moduleId/upgrade-preview': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 403, other: 200 },
    call: () => ({ path: `/v2/modules/${fixed.module}/upgrade-preview`, body: { version: '1.0.0' } }),
  },
  'GET /v2/modules/:moduleId/resources/:resourceName': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 200, other: 200 },
    call: () => ({ path: `/v2/modules/${fixed.module}/resources/mod.bpmn` }),
  },
  'PUT /v2/modules/:moduleId/resources/:resourceName/override': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 403, other: 409 },
    call: async () => {
      const id = await freshModule();
      return {
        path: `/v2/modules/${id}/resources/mod.bpmn/override`,
        body: {
          content: MATRIX.replace(/matrix/g, `${id}-proc`).replace(
            '<bpmn:userTask id="work"/>',
            '<bpmn:userTask id="work" name="本公司"/>',
          ),
        },
      };
    },
  },
  'DELETE /v2/modules/:moduleId/resources/:resourceName/override': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 403, other: 409 },
    call: async () => {
      const id = await freshModule();
      const content = MATRIX.replace(/matrix/g, `${id}-proc`).replace(
        '<bpmn:userTask id="work"/>',
        '<bpmn:userTask id="work" name="本公司"/>',
      );
      ok(await t.api('PUT', `/v2/modules/${id}/resources/mod.bpmn/override`, { content }), 'override');
      return { path: `/v2/modules/${id}/resources/mod.bpmn/override` };
    },
  },
  // the design lessons library: everyone of the tenant reads it; the other tenant sees none of it
  'POST /v2/design-lessons/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/design-lessons/search', body: {} }),
  },
  'GET /v2/design-lessons/:key': {
    expect: tenantRead,
    call: () => ({ path: `/v2/design-lessons/${fixed.lesson}` }),
  },
  // assets: everyone of the tenant reads them; administrators and process owners change them
  'POST /v2/assets': {
    expect: { admin: 201, owner: 201, user: 403, auditor: 403, other: 201 },
    call: () => ({ path: '/v2/assets', body: { code: uniq('A'), name: '空调机组', project: '一期' } }),
  },
  'POST /v2/assets/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/assets/search', body: {} }),
  },
  'GET /v2/assets/:key': { expect: tenantRead, call: () => ({ path: `/v2/assets/${fixed.asset}` }) },
  'GET /v2/assets/:key/overview': {
    expect: tenantRead,
    call: () => ({ path: `/v2/assets/${fixed.asset}/overview` }),
  },
  'PATCH /v2/assets/:key': {
    expect: managerWrite(200),
    call: () => ({ path: `/v2/assets/${fixed.asset}`, body: { building: uniq('楼') } }),
  },
  'DELETE /v2/assets/:key': {
    expect: managerWrite(204),
    call: async () => ({ path: `/v2/assets/${await freshAsset()}` }),
  },
  // dashboards of the enabled modules: administrators, process owners and auditors
  'GET /v2/dashboards': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 200, other: 200 },
    noLeak: true,
    call: () => ({ path: '/v2/dashboards' }),
  },
  // (the other tenant enabled the fixture module for itself in the enablement rule above: it gets
  // its own tenant's figures)
  'GET /v2/dashboards/:dashboardId/data': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 200, other: 200 },
    noLeak: true,
    call: () => ({ path: '/v2/dashboards/matrix-volume/data' }),
  },
  'GET /v2/forms/:key': {
    expect: tenantRead,
    call: () => ({ path: `/v2/forms/${fixed.form}` }),
  },
  // rule sets hold the business's thresholds: administrators and process owners only
  'POST /v2/rule-sets/search': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 403, other: 200 },
    noLeak: true,
    call: () => ({ path: '/v2/rule-sets/search', body: {} }),
  },
  'GET /v2/rule-sets/:key': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 403, other: 404 },
    call: () => ({ path: `/v2/rule-sets/${fixed.ruleSet}` }),
  },
  'POST /v2/rule-sets/evaluation': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 403, other: 404 },
    call: () => ({
      path: '/v2/rule-sets/evaluation',
      body: { ruleSetKey: fixed.ruleSet, variables: { a: 1 } },
    }),
  },

  // instances
  'POST /v2/process-instances/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/process-instances/search', body: {} }),
  },
  'GET /v2/process-instances/:key': {
    expect: instanceRead,
    call: () => ({ path: `/v2/process-instances/${fixed.instance}` }),
  },
  'POST /v2/process-instances': {
    expect: { admin: 200, owner: 200, user: 200, auditor: 403, other: 404 },
    call: () => ({ path: '/v2/process-instances', body: { processDefinitionId: 'matrix' } }),
  },
  'POST /v2/process-instances/:key/modification': {
    expect: managerWrite(204),
    call: async () => {
      const key = await fresh.instance();
      const [task] = await t.openTasks(key);
      return {
        path: `/v2/process-instances/${key}/modification`,
        body: {
          activateInstructions: [{ elementId: task.elementId }],
          terminateInstructions: [{ elementInstanceKey: task.elementInstanceKey }],
        },
      };
    },
  },
  'POST /v2/process-instances/:key/cancellation': {
    expect: managerWrite(204),
    call: async () => ({ path: `/v2/process-instances/${await fresh.instance()}/cancellation` }),
  },
  'GET /v2/process-instances/:key/record': {
    expect: instanceRead,
    call: () => ({ path: `/v2/process-instances/${fixed.instance}/record` }),
  },
  'GET /v2/process-instances/:key/record.pdf': {
    expect: instanceRead,
    call: () => ({ path: `/v2/process-instances/${fixed.instance}/record.pdf` }),
  },
  'GET /v2/process-instances/:key/history': {
    expect: instanceRead,
    call: () => ({ path: `/v2/process-instances/${fixed.instance}/history` }),
  },

  // user tasks
  'POST /v2/user-tasks/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/user-tasks/search', body: {} }),
  },
  'GET /v2/user-tasks/:key': { expect: instanceRead, call: () => ({ path: `/v2/user-tasks/${fixed.task}` }) },
  'GET /v2/user-tasks/:key/form': {
    expect: { admin: 204, owner: 204, user: 404, auditor: 204, other: 404 },
    call: () => ({ path: `/v2/user-tasks/${fixed.task}/form` }),
  },
  'POST /v2/user-tasks/:key/assignment': {
    expect: { admin: 204, owner: 204, user: 204, auditor: 403, other: 404 },
    call: async (c) => ({
      path: `/v2/user-tasks/${(await fresh.task(null)).taskKey}/assignment`,
      body: { assignee: as(c).user },
    }),
  },
  'DELETE /v2/user-tasks/:key/assignee': {
    expect: { admin: 204, owner: 204, user: 204, auditor: 403, other: 404 },
    call: async (c) => ({
      path: `/v2/user-tasks/${(await fresh.task(c === 'other' ? 'admin' : as(c).user)).taskKey}/assignee`,
    }),
  },
  'POST /v2/user-tasks/:key/completion': {
    expect: { admin: 204, owner: 204, user: 204, auditor: 403, other: 404 },
    call: async (c) => ({
      path: `/v2/user-tasks/${(await fresh.task(c === 'other' ? 'admin' : as(c).user)).taskKey}/completion`,
      body: { variables: {} },
    }),
  },

  // documents: uploads go to the caller's own tenant; a task's document is read like its instance
  'POST /v2/documents': {
    expect: { admin: 201, owner: 201, user: 201, auditor: 403, other: 201 },
    call: () => ({ path: '/v2/documents', form: () => photoForm() }),
  },
  'GET /v2/documents/:documentId': {
    expect: instanceRead,
    call: () => ({ path: `/v2/documents/${fixed.document}` }),
  },
  'DELETE /v2/documents/:documentId': {
    // the uploader (eng1) may too, while the task is open; the user here has no part in it
    expect: { admin: 204, owner: 204, user: 404, auditor: 403, other: 404 },
    call: async () => ({ path: `/v2/documents/${await fresh.document()}` }),
  },

  'POST /v2/user-tasks/:key/transfer': {
    expect: { admin: 204, owner: 204, user: 204, auditor: 403, other: 404 },
    call: async (c) => ({
      path: `/v2/user-tasks/${(await fresh.task(c === 'other' ? 'admin' : as(c).user)).taskKey}/transfer`,
      body: { assignee: 'eng1', comment: '请代为处理' },
    }),
  },
  'POST /v2/departments/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/departments/search', body: {} }),
  },
  'POST /v2/departments': {
    expect: adminCreate,
    call: () => ({ path: '/v2/departments', body: { departmentId: uniq('mx-d'), name: '部门' } }),
  },
  'GET /v2/departments/:key': {
    expect: tenantRead,
    call: () => ({ path: `/v2/departments/${fixed.department}` }),
  },
  'PUT /v2/departments/:key': {
    expect: adminWrite(200),
    call: async () => ({
      path: `/v2/departments/${await fresh.department()}`,
      body: { name: '改名', head: 'eng1' },
    }),
  },
  'DELETE /v2/departments/:key': {
    expect: adminWrite(204),
    call: async () => ({ path: `/v2/departments/${await fresh.department()}` }),
  },
  'PUT /v2/departments/:key/users/:username': {
    expect: adminWrite(204),
    call: async () => ({ path: `/v2/departments/${await fresh.department()}/users/eng1` }),
  },
  'DELETE /v2/departments/:key/users/:username': {
    expect: adminWrite(204),
    call: async () => {
      const d = await fresh.department();
      ok(await t.api('PUT', `/v2/departments/${d}/users/eng1`), 'add member');
      return { path: `/v2/departments/${d}/users/eng1` };
    },
  },
  'POST /v2/departments/:key/users/search': {
    expect: tenantRead,
    call: () => ({ path: `/v2/departments/${fixed.department}/users/search`, body: {} }),
  },
  'POST /v2/working-calendars/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/working-calendars/search', body: {} }),
  },
  'POST /v2/working-calendars': {
    expect: adminCreate,
    call: () => ({ path: '/v2/working-calendars', body: { calendarId: uniq('mx-c'), name: '日历' } }),
  },
  'GET /v2/working-calendars/:calendarId': {
    // the other tenant's admin looks in their own tenant, which has no such calendar
    expect: tenantRead,
    call: () => ({ path: `/v2/working-calendars/${fixed.calendar}` }),
  },
  'PUT /v2/working-calendars/:calendarId': {
    expect: adminWrite(200),
    call: async () => ({
      path: `/v2/working-calendars/${await fresh.calendar()}`,
      body: { name: '改名', weekdays: [1, 2, 3, 4, 5, 6] },
    }),
  },
  'DELETE /v2/working-calendars/:calendarId': {
    expect: adminWrite(204),
    call: async () => ({ path: `/v2/working-calendars/${await fresh.calendar()}` }),
  },
  'POST /v2/working-calendars/:calendarId/due-date': {
    expect: tenantRead,
    call: () => ({
      path: `/v2/working-calendars/${fixed.calendar}/due-date`,
      body: { from: '2026-09-30T15:00:00+08:00', duration: 'P1D' },
    }),
  },
  'POST /v2/substitutions/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/substitutions/search', body: {} }),
  },
  'POST /v2/substitutions': {
    // the other tenant's admin names eng1, who is not in their tenant
    expect: { admin: 201, owner: 201, user: 201, auditor: 403, other: 400 },
    call: () => ({
      path: '/v2/substitutions',
      body: { substitute: 'eng1', startsAt: '2030-01-01T00:00:00Z', endsAt: '2030-01-08T00:00:00Z' },
    }),
  },
  'DELETE /v2/substitutions/:key': {
    expect: { admin: 204, owner: 204, user: 204, auditor: 204, other: 404 },
    call: async (c) => ({
      path: `/v2/substitutions/${await fresh.substitution(c === 'other' ? 'admin' : as(c).user)}`,
    }),
  },
  'GET /v2/inbox/counts': { expect: all(200), call: () => ({ path: '/v2/inbox/counts' }) },
  'POST /v2/inbox/search': {
    // everyone's own inbox, within their own tenants
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/inbox/search', body: { filter: { tab: 'started' } } }),
  },
  'POST /v2/user-tasks/:key/takeback': {
    // the first task of matrix-two, completed by the caller (the other tenant's admin: by admin)
    expect: { admin: 204, owner: 204, user: 204, auditor: 403, other: 404 },
    call: async (c) => ({
      path: `/v2/user-tasks/${await fresh.completedFirst(c === 'other' ? 'admin' : as(c).user)}/takeback`,
      body: {},
    }),
  },
  'POST /v2/user-tasks/:key/signers': {
    expect: { admin: 204, owner: 204, user: 204, auditor: 403, other: 404 },
    call: async (c) => ({
      path: `/v2/user-tasks/${await fresh.countersign(c === 'other' ? 'admin' : as(c).user)}/signers`,
      body: { add: ['ops1'] },
    }),
  },
  'POST /v2/user-tasks/:key/delegation': {
    expect: { admin: 204, owner: 204, user: 204, auditor: 403, other: 404 },
    call: async (c) => ({
      path: `/v2/user-tasks/${(await fresh.task(c === 'other' ? 'admin' : as(c).user)).taskKey}/delegation`,
      body: { delegate: 'eng1' },
    }),
  },
  'POST /v2/user-tasks/:key/resolution': {
    expect: { admin: 204, owner: 204, user: 204, auditor: 403, other: 404 },
    call: async (c) => ({
      path: `/v2/user-tasks/${await fresh.delegated(c === 'other' ? 'admin' : as(c).user)}/resolution`,
      body: { comment: '已核对' },
    }),
  },
  'POST /v2/user-tasks/:key/return': {
    expect: { admin: 204, owner: 204, user: 204, auditor: 403, other: 404 },
    call: async (c) => ({
      path: `/v2/user-tasks/${await fresh.returnable(c === 'other' ? 'admin' : as(c).user)}/return`,
      body: { comment: '资料不全，请补充' },
    }),
  },
  'POST /v2/process-instances/:key/cc': {
    expect: { admin: 200, owner: 200, user: 404, auditor: 403, other: 404 },
    call: () => ({ path: `/v2/process-instances/${fixed.instance}/cc`, body: { users: ['eng1'] } }),
  },
  'POST /v2/process-instances/:key/urge': {
    // the instance is the admin's; the user sees it (its task is open to all) but did not start it
    expect: { admin: 200, owner: 200, user: 403, auditor: 403, other: 404 },
    call: async () => ({ path: `/v2/process-instances/${await fresh.instance()}/urge`, body: {} }),
  },
  'POST /v2/user-tasks/:key/urge': {
    // the instance is the admin's: the user holds its task but did not start it
    expect: { admin: 200, owner: 200, user: 403, auditor: 403, other: 404 },
    call: async (c) => ({
      path: `/v2/user-tasks/${(await fresh.task(c === 'other' ? 'admin' : as(c).user)).taskKey}/urge`,
      body: {},
    }),
  },
  'POST /v2/process-instances/:key/withdrawal': {
    expect: { admin: 204, owner: 403, user: 403, auditor: 403, other: 404 },
    call: async () => ({ path: `/v2/process-instances/${await fresh.instance()}/withdrawal`, body: {} }),
  },
  'POST /v2/user-tasks/:key/decision': {
    expect: { admin: 204, owner: 204, user: 204, auditor: 403, other: 404 },
    call: async (c) => ({
      path: `/v2/user-tasks/${await fresh.approval(c === 'other' ? 'admin' : as(c).user)}/decision`,
      body: { decision: 'approve' },
    }),
  },

  // jobs
  'POST /v2/jobs/activation': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 403, other: 200 },
    call: () => ({
      path: '/v2/jobs/activation',
      body: { type: 'matrix-none', timeout: 1000, maxJobsToActivate: 1, requestTimeout: -1 },
    }),
  },
  'POST /v2/jobs/:key/completion': {
    expect: managerWrite(204),
    call: async () => ({ path: `/v2/jobs/${await fresh.job()}/completion`, body: { variables: {} } }),
  },
  'POST /v2/jobs/:key/failure': {
    expect: managerWrite(204),
    call: async () => ({ path: `/v2/jobs/${await fresh.job()}/failure`, body: { retries: 1 } }),
  },
  'POST /v2/jobs/:key/error': {
    expect: managerWrite(204),
    call: async () => ({ path: `/v2/jobs/${await fresh.job()}/error`, body: { errorCode: 'MATRIX' } }),
  },

  // incidents, element instances, variables
  'POST /v2/jobs/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/jobs/search', body: {} }),
  },
  'GET /v2/jobs/:key': {
    expect: instanceRead,
    call: () => ({ path: `/v2/jobs/${fixed.job}` }),
  },
  'POST /v2/incidents/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/incidents/search', body: {} }),
  },
  'GET /v2/incidents/:key': {
    expect: instanceRead,
    call: () => ({ path: `/v2/incidents/${fixed.incident}` }),
  },
  'POST /v2/incidents/:key/resolution': {
    expect: managerWrite(204),
    call: async () => ({ path: `/v2/incidents/${await fresh.incident()}/resolution` }),
  },
  'POST /v2/element-instances/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/element-instances/search', body: {} }),
  },
  'GET /v2/element-instances/:key': {
    expect: instanceRead,
    call: () => ({ path: `/v2/element-instances/${fixed.instance}` }),
  },
  'PUT /v2/element-instances/:key/variables': {
    expect: managerWrite(204),
    call: async () => ({
      path: `/v2/element-instances/${await fresh.instance()}/variables`,
      body: { variables: { y: 2 } },
    }),
  },
  'POST /v2/variables/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/variables/search', body: {} }),
  },
  'GET /v2/variables/:key': {
    expect: instanceRead,
    call: () => ({ path: `/v2/variables/${fixed.variable}` }),
  },

  // messages and signals: the other tenant's owner acts in their own tenant, where nothing waits
  'POST /v2/messages/correlation': {
    expect: managerWrite(200),
    call: async () => {
      const k = uniq('k');
      await t.start('matrix-msg', { k });
      return { path: '/v2/messages/correlation', body: { name: 'matrix-ping', correlationKey: k } };
    },
  },
  'POST /v2/messages/publication': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 403, other: 200 },
    call: () => ({
      path: '/v2/messages/publication',
      body: { name: 'matrix-ping', correlationKey: uniq('p') },
    }),
  },
  'POST /v2/signals/broadcast': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 403, other: 200 },
    call: () => ({ path: '/v2/signals/broadcast', body: { signalName: 'matrix-signal' } }),
  },
  'GET /v2/topology': { expect: all(200), call: () => ({ path: '/v2/topology' }) },

  // notifications: each caller sees and marks only their own
  'POST /v2/notifications/search': {
    expect: all(200),
    noLeak: true,
    call: () => ({ path: '/v2/notifications/search', body: {} }),
  },
  'GET /v2/notifications/unread-count': {
    expect: all(200),
    call: () => ({ path: '/v2/notifications/unread-count' }),
  },
  'POST /v2/notifications/:key/read': {
    expect: all(204),
    call: async (c) => ({ path: `/v2/notifications/${await fresh.notification(c)}/read` }),
  },
  'POST /v2/notifications/read-all': {
    expect: all(204),
    call: () => ({ path: '/v2/notifications/read-all' }),
  },
  'POST /v2/notification-templates/search': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 403, other: 200 },
    call: () => ({ path: '/v2/notification-templates/search', body: {} }),
  },
  'POST /v2/notification-templates/preview': {
    expect: { admin: 200, owner: 200, user: 403, auditor: 403, other: 200 },
    call: () => ({
      path: '/v2/notification-templates/preview',
      body: {
        event: 'CC',
        channel: 'EMAIL',
        locale: 'en',
        subject: 'FYI: {{processName}}',
        body: '{{message}}',
      },
    }),
  },
  'PUT /v2/notification-templates/:event/:channel/:locale': {
    // administrators change their own tenant's texts
    expect: { admin: 200, owner: 403, user: 403, auditor: 403, other: 200 },
    call: () => ({
      path: '/v2/notification-templates/CC/EMAIL/en',
      body: { subject: 'FYI: {{processName}}', body: '{{message}}' },
    }),
  },
  'DELETE /v2/notification-templates/:event/:channel/:locale': {
    expect: { admin: 204, owner: 403, user: 403, auditor: 403, other: 204 },
    call: async (c) => {
      const admin = c === 'other' ? as('other') : as('admin');
      ok(
        await t.api('PUT', '/v2/notification-templates/CC/IN_APP/en', { subject: 's', body: 'b' }, admin),
        'template',
      );
      return { path: '/v2/notification-templates/CC/IN_APP/en' };
    },
  },
  'POST /v2/webhooks': {
    expect: { admin: 201, owner: 403, user: 403, auditor: 403, other: 201 },
    call: () => ({ path: '/v2/webhooks', body: { name: 'hook', url: 'https://hooks.example.cn/lifeflow' } }),
  },
  'POST /v2/webhooks/search': {
    expect: { admin: 200, owner: 403, user: 403, auditor: 403, other: 200 },
    noLeak: true,
    call: () => ({ path: '/v2/webhooks/search', body: {} }),
  },
  'GET /v2/webhooks/:key': {
    expect: adminWrite(200),
    call: () => ({ path: `/v2/webhooks/${fixed.webhook}` }),
  },
  'PUT /v2/webhooks/:key': {
    expect: adminWrite(200),
    call: async () => ({ path: `/v2/webhooks/${await fresh.webhook()}`, body: { enabled: false } }),
  },
  'DELETE /v2/webhooks/:key': {
    expect: adminWrite(204),
    call: async () => ({ path: `/v2/webhooks/${await fresh.webhook()}` }),
  },
  'POST /v2/webhooks/:key/deliveries/search': {
    expect: adminWrite(200),
    call: () => ({ path: `/v2/webhooks/${fixed.webhook}/deliveries/search`, body: {} }),
  },
  'GET /v2/openapi.json': { expect: all(200), call: () => ({ path: '/v2/openapi.json' }) },
  'GET /v2/docs': { expect: all(200), call: () => ({ path: '/v2/docs' }) },
};

/** Routes that answer without credentials. */
const PUBLIC = new Set(['GET /healthz', 'POST /v2/auth/login', 'GET /v2/openapi.json', 'GET /v2/docs']);

/** `METHOD /path` of every route the app registers (the v2 router is mounted at /v2). */
function registeredRoutes(app: any): string[] {
  const out: string[] = [];
  const walk = (stack: any[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods))
          out.push(`${m.toUpperCase()} ${prefix}${layer.route.path}`);
      } else if (layer.handle?.stack) {
        walk(
          layer.handle.stack,
          prefix === '' && layer.handle.stack.some((l: any) => l.handle?.stack) ? '/v2' : prefix,
        );
      }
    }
  };
  walk(app.router.stack, '');
  return out;
}

async function send(c: Caller | 'anonymous', method: string, call: Call): Promise<ApiResponse> {
  if (call.form) {
    if (c === 'anonymous') {
      const res = await fetch(t.baseUrl + call.path, { method, body: call.form() });
      return { status: res.status, headers: res.headers, body: null, text: await res.text() };
    }
    return t.upload(call.path, call.form(), as(c));
  }
  if (call.files) {
    if (c === 'anonymous') {
      const res = await fetch(t.baseUrl + call.path, { method, body: new FormData() });
      return { status: res.status, headers: res.headers, body: null, text: await res.text() };
    }
    return t.deploy(call.files, as(c));
  }
  if (c === 'anonymous') {
    const res = await fetch(t.baseUrl + call.path, {
      method,
      headers: call.body === undefined ? {} : { 'content-type': 'application/json' },
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: null, text };
  }
  return t.api(method, call.path, call.body, as(c));
}

beforeAll(async () => {
  t = await startTestRuntime({ runtime: { httpAllowedHosts: ['hooks.example.cn'] } });
  // Another tenant with its own user, bob.
  await addOtherTenant(t, {
    username: 'bob',
    password: 'bob-pass-1',
    name: '乙-管理员',
    roles: ['admin', 'owner'],
  });
  const deployed = ok(
    await t.deploy([
      { name: 'matrix.bpmn', content: MATRIX },
      { name: 'matrix-job.bpmn', content: MATRIX_JOB },
      {
        name: 'matrix.form',
        content: JSON.stringify({ id: 'matrix-form', components: [{ type: 'textfield', key: 'x' }] }),
      },
      {
        name: 'matrix-rules.json',
        content: JSON.stringify({
          id: 'matrix-rules',
          rules: [
            { conditions: { all: [{ fact: 'a', operator: 'equal', value: 1 }] }, event: { type: 'hit' } },
          ],
        }),
      },
      { name: 'matrix-msg.bpmn', content: MATRIX_MSG },
      { name: 'matrix-approval.bpmn', content: MATRIX_APPROVAL },
      { name: 'matrix-two.bpmn', content: MATRIX_TWO },
      {
        name: 'matrix-countersign.bpmn',
        content: MATRIX_APPROVAL.replace(/matrix-approval/g, 'matrix-countersign')
          .replace('mode="single"', 'mode="all"')
          .replace('=[approver]', '=signers'),
      },
    ]),
    'deploy',
  );
  fixed.definition = deployed.body.deployments.find(
    (d: any) => d.processDefinition?.processDefinitionId === 'matrix',
  ).processDefinition.processDefinitionKey;
  fixed.form = deployed.body.deployments.find((d: any) => d.form).form.formKey;
  fixed.ruleSet = deployed.body.deployments.find((d: any) => d.ruleSet).ruleSet.ruleSetKey;
  const read = await fresh.task('eng1');
  fixed.instance = read.key;
  fixed.task = read.taskKey;
  fixed.variable = (
    await t.api('POST', '/v2/variables/search', { filter: { processInstanceKey: read.key, name: 'x' } })
  ).body.items[0].variableKey;
  fixed.incident = await fresh.incident();
  fixed.job = (
    await t.api('POST', '/v2/jobs/search', { filter: { type: 'matrix-work' }, page: { limit: 1 } })
  ).body.items[0].jobKey;
  fixed.role = await fresh.role();
  fixed.authorization = await fresh.authorization();
  fixed.webhook = await fresh.webhook();
  fixed.department = await fresh.department();
  fixed.calendar = await fresh.calendar();
  fixed.document = await fresh.document();
  fixed.module = await freshModule();
  fixed.asset = await freshAsset();
  // A lesson as the built-in design-lesson job writes it (what it holds is not the point here).
  fixed.lesson = t.runtime.nextKey();
  await t.runtime.knex('design_lessons').insert({
    lesson_key: fixed.lesson,
    tenant_id: '<default>',
    job_key: t.runtime.nextKey(),
    process_instance_key: fixed.instance,
    title: '检修通道过窄',
  });
});
afterAll(async () => {
  await t?.close();
});

describe('authorization matrix', () => {
  it('has a rule for every route the server registers, and no rule for a route that is gone', () => {
    const routes = registeredRoutes(t.runtime.app).sort();
    expect(routes.length).toBeGreaterThan(70);
    expect(
      routes.filter((r) => !RULES[r]),
      'routes without a rule',
    ).toEqual([]);
    expect(
      Object.keys(RULES).filter((r) => !routes.includes(r)),
      'rules without a route',
    ).toEqual([]);
  });

  for (const [route, rule] of Object.entries(RULES)) {
    it(route, async () => {
      const [method] = route.split(' ');
      const seen: Record<string, number> = {};
      for (const c of CALLERS) {
        const res = await send(c, method, await rule.call(c));
        seen[c] = res.status;
        if (res.status < 300) await rule.cleanup?.(c, res);
        if (process.env.MATRIX_DEBUG && res.status >= 400) console.log(route, c, res.text);
        if (res.status >= 400)
          expect(res.headers.get('content-type'), `${c}: ${res.text}`).toContain('application/problem+json');
        if (c === 'other' && rule.noLeak && res.status === 200) {
          expect(res.text).not.toContain('<default>');
          expect(res.text).not.toContain('eng1');
        }
      }
      expect(seen).toEqual(rule.expect);
      if (!PUBLIC.has(route)) {
        const anonymous = await send('anonymous', method, await rule.call('admin'));
        expect(anonymous.status, anonymous.text).toBe(401);
      }
    });
  }
});
