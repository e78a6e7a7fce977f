import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../runtime/create-runtime.js';
import { createKeyGenerator } from '../../runtime/persistence/keys.js';
import { hashPassword } from '../../runtime/persistence/seed.js';
import { attachRealtime, type Realtime, type RealtimeOptions } from '../../runtime/realtime/realtime.js';
import type { ActivatedJob } from '../../runtime/jobs/job-service.js';
import { createTestDatabase, seedTestData, type TestDatabase } from './test-db.js';

export interface TestRuntime {
  runtime: Runtime;
  baseUrl: string;
  /** The database under this runtime (shared with other nodes started with `shareDatabaseOf`). */
  database: TestDatabase;
  /** socket.io, when started with `realtime`. */
  realtime?: Realtime;
  /** Calls the REST API as a user (password `demo` for demo users, `admin` for admin). */
  api(
    method: string,
    path: string,
    body?: unknown,
    opts?: { user?: string; password?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse>;
  deploy(
    files: Array<{ name: string; content: string }>,
    opts?: { user?: string; password?: string; tenantId?: string },
  ): Promise<ApiResponse>;
  /** Sends a multipart form (e.g. a document upload) as a user (default admin). */
  upload(
    path: string,
    form: FormData,
    opts?: { user?: string; password?: string; query?: string },
  ): Promise<ApiResponse>;
  /** Starts the latest version of a process as admin; returns the instance key. */
  start(processDefinitionId: string, variables?: Record<string, unknown>): Promise<string>;
  /** Starts the latest version of a process as a user, with more of the request; returns the instance key. */
  startAs(user: string, processDefinitionId: string, request?: Record<string, unknown>): Promise<string>;
  /** The instance's open user task assigned to this user; fails when there is none. */
  taskOf(processInstanceKey: string, user: string): Promise<any>;
  /** The instance's state (ACTIVE, COMPLETED, TERMINATED). */
  stateOf(processInstanceKey: string): Promise<string>;
  /**
   * Completes a user task as a user (default admin): claims it first when it is not assigned to
   * them (only the assignee may complete). Returns the completion's response.
   */
  complete(
    task: { userTaskKey: string; assignee?: string | null },
    variables?: Record<string, unknown>,
    opts?: { user?: string; password?: string },
  ): Promise<ApiResponse>;
  /** Open user tasks of an instance. */
  openTasks(processInstanceKey: string): Promise<any[]>;
  /** `elementId:STATE` of every element instance of an instance. */
  elements(processInstanceKey: string): Promise<string[]>;
  /** The instance's own (root scope) variables, parsed. */
  rootVariables(processInstanceKey: string): Promise<Record<string, unknown>>;
  /**
   * Runs the waiting jobs of a built-in type (design-lesson, start-process, …) in the default
   * tenant, as the runtime's workers would (tests start none); returns the jobs it ran.
   */
  runJobs(type: string, max?: number): Promise<ActivatedJob[]>;
  close(): Promise<void>;
}

/**
 * Adds a second tenant `tenant-b` (乙公司) with one user of it, holding the given roles — the
 * stranger every isolation test needs.
 */
export async function addOtherTenant(
  t: TestRuntime,
  user: { username: string; password: string; name: string; roles: string[] },
): Promise<void> {
  const knex = t.runtime.knex;
  await knex('tenants').insert({ tenant_id: 'tenant-b', name: '乙公司' });
  await knex('users').insert({
    user_key: t.runtime.nextKey(),
    username: user.username,
    name: user.name,
    password_hash: await hashPassword(user.password),
  });
  await knex('memberships').insert([
    { container_type: 'TENANT', container_id: 'tenant-b', member_type: 'USER', member_id: user.username },
    ...user.roles.map((role) => ({
      container_type: 'ROLE',
      container_id: role,
      member_type: 'USER',
      member_id: user.username,
    })),
  ]);
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** A migrated, seeded database of its own, the real runtime over it, and an HTTP server on a free port. */
export async function startTestRuntime(
  opts: {
    clock?: () => Date;
    runtime?: RuntimeOptions;
    /** Attach socket.io (options: Redis adapter URL and channel prefix, revalidation interval). */
    realtime?: boolean | Pick<RealtimeOptions, 'redisUrl' | 'redisKey' | 'revalidateMs' | 'nodeId'>;
    /**
     * Start a second node on the database of this one (PostgreSQL only: its own pool and LISTEN
     * connection, no seeding). Closing the node leaves the database to the first one.
     */
    shareDatabaseOf?: TestRuntime;
  } = {},
): Promise<TestRuntime> {
  let test: TestDatabase;
  if (opts.shareDatabaseOf) {
    const first = opts.shareDatabaseOf.database;
    if (!first.reopen) throw new Error('a second runtime node needs PostgreSQL (TEST_DATABASE_URL)');
    const db = await first.reopen();
    test = { db, knex: db.knex, drop: () => db.close(), reopen: first.reopen };
  } else {
    test = await createTestDatabase();
    await seedTestData(test.knex);
  }
  const documentsDir = await mkdtemp(path.join(tmpdir(), 'lifeflow-documents-'));
  const runtime = createRuntime(
    test.knex,
    createKeyGenerator(),
    opts.clock,
    test.db.listen?.bind(test.db),
    // Uploaded documents go to a fresh directory of their own, removed on close.
    { ...opts.runtime, documents: opts.runtime?.documents ?? { dir: documentsDir } },
  );
  await runtime.ready;
  const server: Server = await new Promise((resolve) => {
    const s = runtime.app.listen(0, '127.0.0.1', () => resolve(s));
    // Longer than the test client's own idle timeout (undici: 4 s): when a long step (a demo
    // seeded in the same process) keeps the event loop busy, the server must not close a
    // keep-alive socket the client is about to reuse (ECONNRESET on the next request).
    s.keepAliveTimeout = 65_000;
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const realtime = opts.realtime
    ? await attachRealtime(server, {
        knex: test.knex,
        auth: runtime.auth,
        listen: test.db.listen?.bind(test.db),
        engine: runtime.engine,
        ...(opts.realtime === true ? {} : opts.realtime),
      })
    : undefined;
  const auth = (user = 'admin', password?: string) =>
    `Basic ${Buffer.from(`${user}:${password ?? (user === 'admin' ? 'admin' : 'demo')}`).toString('base64')}`;
  const read = async (res: Response): Promise<ApiResponse> => {
    const text = await res.text();
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    return { status: res.status, headers: res.headers, body, text };
  };
  const rt: TestRuntime = {
    runtime,
    baseUrl,
    database: test,
    realtime,
    async api(method, path, body, o = {}) {
      const headers: Record<string, string> = {
        authorization: auth(o.user, o.password),
        ...(o.headers ?? {}),
      };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      return read(res);
    },
    async deploy(files, o = {}) {
      const form = new FormData();
      for (const f of files) form.append('resources', new Blob([f.content]), f.name);
      if (o.tenantId) form.append('tenantId', o.tenantId);
      const res = await fetch(`${baseUrl}/v2/deployments`, {
        method: 'POST',
        headers: { authorization: auth(o.user, o.password) },
        body: form,
      });
      return read(res);
    },
    async upload(urlPath, form, o = {}) {
      const res = await fetch(`${baseUrl}${urlPath}${o.query ?? ''}`, {
        method: 'POST',
        headers: { authorization: auth(o.user, o.password) },
        body: form,
      });
      return read(res);
    },
    async start(processDefinitionId, variables = {}) {
      const res = await rt.api('POST', '/v2/process-instances', { processDefinitionId, variables });
      if (res.status !== 200) throw new Error(`could not start <${processDefinitionId}>: ${res.text}`);
      return res.body.processInstanceKey;
    },
    async startAs(user, processDefinitionId, request = {}) {
      const res = await rt.api(
        'POST',
        '/v2/process-instances',
        { processDefinitionId, ...request },
        { user },
      );
      if (res.status !== 200)
        throw new Error(`${user} could not start <${processDefinitionId}>: ${res.text}`);
      return res.body.processInstanceKey;
    },
    async taskOf(key, user) {
      const task = (await rt.openTasks(key)).find((x: any) => x.assignee === user);
      if (!task) throw new Error(`expected an open task of instance ${key} for ${user}`);
      return task;
    },
    async complete(task, variables = {}, o = {}) {
      const user = o.user ?? 'admin';
      if (task.assignee !== user) {
        const claim = await rt.api(
          'POST',
          `/v2/user-tasks/${task.userTaskKey}/assignment`,
          { assignee: user, allowOverride: true },
          o,
        );
        if (claim.status !== 204) return claim;
      }
      return rt.api('POST', `/v2/user-tasks/${task.userTaskKey}/completion`, { variables }, o);
    },
    async stateOf(key) {
      return (await rt.api('GET', `/v2/process-instances/${key}`)).body.state;
    },
    async openTasks(key) {
      return (
        await rt.api('POST', '/v2/user-tasks/search', {
          filter: { processInstanceKey: key, state: 'CREATED' },
        })
      ).body.items;
    },
    async elements(key) {
      const res = await rt.api('POST', '/v2/element-instances/search', {
        filter: { processInstanceKey: key },
        page: { limit: 1000 },
      });
      return res.body.items.map((e: any) => `${e.elementId}:${e.state}`);
    },
    async rootVariables(key) {
      const res = await rt.api('POST', '/v2/variables/search', {
        filter: { processInstanceKey: key, scopeKey: key },
        page: { limit: 1000 },
      });
      return Object.fromEntries(res.body.items.map((v: any) => [v.name, JSON.parse(v.value)]));
    },
    async runJobs(type, max = 20) {
      const jobs = await runtime.jobs.activate({
        type,
        worker: 'test',
        timeout: 60_000,
        maxJobsToActivate: max,
        tenantIds: ['<default>'],
      });
      for (const job of jobs) await runtime.builtins.run(job);
      return jobs;
    },
    async close() {
      await realtime?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await test.drop();
      await rm(documentsDir, { recursive: true, force: true });
    },
  };
  return rt;
}
