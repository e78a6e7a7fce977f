import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../runtime/create-runtime.js';
import { createKeyGenerator } from '../../runtime/persistence/keys.js';
import { createTestDatabase, seedTestData } from './test-db.js';

export interface TestRuntime {
  runtime: Runtime;
  baseUrl: string;
  /** Calls the REST API as a user (password `demo` for demo users, `admin` for admin). */
  api(
    method: string,
    path: string,
    body?: unknown,
    opts?: { user?: string; password?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse>;
  deploy(
    files: Array<{ name: string; content: string }>,
    opts?: { user?: string; tenantId?: string },
  ): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** A migrated, seeded database of its own, the real runtime over it, and an HTTP server on a free port. */
export async function startTestRuntime(
  opts: { clock?: () => Date; runtime?: RuntimeOptions } = {},
): Promise<TestRuntime> {
  const test = await createTestDatabase();
  await seedTestData(test.knex);
  const runtime = createRuntime(
    test.knex,
    createKeyGenerator(),
    opts.clock,
    test.db.listen?.bind(test.db),
    opts.runtime,
  );
  await runtime.ready;
  const server: Server = await new Promise((resolve) => {
    const s = runtime.app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
  return {
    runtime,
    baseUrl,
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
        headers: { authorization: auth(o.user) },
        body: form,
      });
      return read(res);
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await test.drop();
    },
  };
}
