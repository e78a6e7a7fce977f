import { createHash } from 'node:crypto';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Express } from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderDocsPage } from '../runtime/http/docs-page.js';
import { type OpenApiDocument, openApiDocument } from '../runtime/http/openapi.js';
import { createLogger, setLogLevel } from '../runtime/logging/logger.js';
import { startTestRuntime, type TestRuntime } from './support/test-runtime.js';

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
});
afterAll(async () => {
  await t?.close();
});

const METHODS = ['get', 'post', 'put', 'delete', 'patch', 'head', 'options'];

/**
 * Every `METHOD path` the running app registers, found by walking express's router stack
 * (routes, and routers mounted with or without a path); `:param` becomes `{param}`.
 */
function registeredRoutes(app: Express): Set<string> {
  const out = new Set<string>();
  const walk = (stack: any[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const p of paths) {
          for (const [m, on] of Object.entries(layer.route.methods as Record<string, boolean>)) {
            if (on && m !== '_all')
              out.add(`${m.toUpperCase()} ${prefix}${String(p).replace(/:(\w+)/g, '{$1}')}`);
          }
        }
      } else if (layer.handle?.stack) {
        const mount = layer.slash ? '' : typeof layer.rawPath === 'string' ? layer.rawPath : undefined;
        if (mount === undefined) throw new Error(`cannot tell where a router is mounted: ${layer.name}`);
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  walk((app as any).router.stack, '');
  return out;
}

function documentedRoutes(doc: OpenApiDocument): Set<string> {
  const out = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths))
    for (const m of Object.keys(item)) if (METHODS.includes(m)) out.add(`${m.toUpperCase()} ${path}`);
  return out;
}

/** Every `$ref` in the document, with the JSON pointer it names. */
function refsOf(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const x of node) refsOf(x, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refsOf(v, out);
    }
  }
  return out;
}

function resolve(doc: unknown, pointer: string): unknown {
  if (!pointer.startsWith('#/')) return undefined;
  return pointer
    .slice(2)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<any>((node, part) => (node && typeof node === 'object' ? node[part] : undefined), doc);
}

describe('the OpenAPI document', () => {
  let doc: OpenApiDocument;
  beforeAll(async () => {
    // No credentials: the description is public.
    const res = await fetch(`${t.baseUrl}/v2/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await res.json()) as OpenApiDocument;
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as any);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe(t.runtime.version);
  });

  it('is consistent: refs resolve, path parameters are declared, operation ids are unique', () => {
    for (const r of refsOf(doc)) expect(resolve(doc, r), `unresolved ${r}`).toBeDefined();
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const [method, o] of Object.entries(item) as Array<[string, any]>) {
        const where = `${method.toUpperCase()} ${path}`;
        const declared = (o.parameters ?? [])
          .filter((p: any) => p.in === 'path')
          .map((p: any) => p.name)
          .sort();
        expect(declared, where).toEqual(templated);
        expect(ids.has(o.operationId), `duplicate operationId ${o.operationId}`).toBe(false);
        ids.add(o.operationId);
        expect(Object.keys(o.responses).length, where).toBeGreaterThan(0);
        // Errors are problem+json.
        for (const [status, r] of Object.entries(o.responses) as Array<[string, any]>) {
          // (/healthz answers its 503 in its own JSON shape, for load balancers.)
          if (Number(status) < 400 || path === '/healthz') continue;
          const response: any = r.$ref ? resolve(doc, r.$ref) : r;
          expect(Object.keys(response.content), `${where} ${status}`).toContain('application/problem+json');
        }
      }
    }
  });

  it('describes problems and the security schemes', () => {
    const problem: any = doc.components.schemas.ProblemDetail;
    expect(Object.keys(problem.properties)).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'detail', 'instance', 'errors']),
    );
    expect((resolve(doc, problem.properties.errors.items.$ref) as any).required).toEqual(['field', 'reason']);
    expect(doc.components.securitySchemes).toMatchObject({
      basicAuth: { type: 'http', scheme: 'basic' },
      bearerAuth: { type: 'http', scheme: 'bearer' },
      sessionCookie: { type: 'apiKey', in: 'cookie', name: 'lifeflow_session' },
      csrfToken: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token' },
    });
    // Writes with the cookie need the CSRF header; public operations need nothing.
    expect(doc.paths['/v2/process-instances'].post!.security).toContainEqual({
      sessionCookie: [],
      csrfToken: [],
    });
    expect(doc.paths['/v2/auth/login'].post!.security).toEqual([]);
  });

  it('documents every route the app registers, and no other', () => {
    const registered = registeredRoutes(t.runtime.app as unknown as Express);
    const documented = documentedRoutes(doc);
    expect(registered.size).toBeGreaterThan(50);
    const undocumented = [...registered].filter((r) => !documented.has(r)).sort();
    const unregistered = [...documented].filter((r) => !registered.has(r)).sort();
    expect(undocumented, 'routes without documentation in runtime/http/openapi.ts').toEqual([]);
    expect(unregistered, 'documented routes the app does not register').toEqual([]);
  });

  it('names the fields the routes read', async () => {
    const schema = (name: string) => doc.components.schemas[name] as any;
    expect(schema('ProcessInstanceCreateRequest').properties).toHaveProperty('processDefinitionId');
    expect(schema('JobActivationRequest').required).toEqual(['type', 'timeout', 'maxJobsToActivate']);
    expect(schema('AuthorizationRequest').properties.ownerType.enum).toEqual(['USER', 'GROUP', 'ROLE']);
    // A search filter with a field the schema does not list is rejected by the server, too.
    const filterFields = Object.keys(schema('UserTaskSearchQuery').properties.filter.properties);
    const res = await t.api('POST', '/v2/user-tasks/search', { filter: { nope: 1 } });
    expect(res.status).toBe(400);
    const expected = res.body.errors[0].reason.replace(/.*expected one of /, '').split(', ');
    expect(filterFields.sort()).toEqual(expected.sort());
  });
});

describe('the reference page', () => {
  it('is served without credentials, without any script, under a strict CSP', async () => {
    const res = await fetch(`${t.baseUrl}/v2/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).not.toMatch(/<script|javascript:|\son\w+=|https?:\/\//i);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/script-src|unsafe-inline/);
    // The one inline stylesheet is allowed by its hash.
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1];
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    for (const path of ['/v2/process-instances/{key}/cancellation', '/v2/jobs/activation', '/healthz'])
      expect(html).toContain(path);
  });

  it('escapes whatever the document says', () => {
    const doc = openApiDocument('1<2');
    (doc.paths['/v2/topology'].get as any).summary = '<img src=x onerror=alert(1)> `a<b`';
    const html = renderDocsPage(doc);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; <code>a&lt;b</code>');
    expect(html).toContain('1&lt;2');
  });
});

describe('security headers', () => {
  it('sets helmet’s headers on everything', async () => {
    const res = await fetch(`${t.baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'.*object-src 'none'/);
    expect(res.headers.get('content-security-policy')).not.toMatch(/upgrade-insecure-requests/);
  });

  it('keeps the stricter API headers under /v2, on answers and on errors', async () => {
    for (const res of [
      await t.api('GET', '/v2/topology'),
      await t.api('GET', '/v2/process-instances/1'),
      await fetch(`${t.baseUrl}/v2/topology`),
    ]) {
      expect(res.headers.get('content-security-policy')).toBe(
        "default-src 'none'; frame-ancestors 'none'; sandbox",
      );
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age/);
    }
  });
});

describe('request bodies at the edge', () => {
  const post = async (path: string, body: string, contentType: string) => {
    const res = await fetch(t.baseUrl + path, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}`,
        'content-type': contentType,
      },
      body,
    });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {}
    return { status: res.status, headers: res.headers, body: parsed, text };
  };

  const expectProblem = (res: Awaited<ReturnType<TestRuntime['api']>>, status: number, title: string) => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: 'about:blank', status, title });
    expect(typeof res.body.detail).toBe('string');
    expect(typeof res.body.instance).toBe('string');
  };

  it('answers 415 for a body that is not JSON', async () => {
    const body = JSON.stringify({ processDefinitionId: 'x' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await post('/v2/process-instances', body, type);
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(res.body.detail).toContain(type);
    }
    expectProblem(await post('/v2/user-tasks/search', '{}', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE');
    // A JSON body in a charset JSON does not use.
    expectProblem(
      await post('/v2/user-tasks/search', '{}', 'application/json; charset=latin1'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('accepts +json media types and bodiless requests', async () => {
    const res = await post('/v2/user-tasks/search', '{"page":{"limit":1}}', 'application/vnd.api+json');
    expect(res.status).toBe(200);
    const empty = await t.api('POST', '/v2/user-tasks/search');
    expect(empty.status).toBe(200);
  });

  it('answers 400 for JSON that is not an object, or not JSON at all', async () => {
    for (const body of ['[]', '[{"processDefinitionId":"x"}]']) {
      for (const path of ['/v2/process-instances', '/v2/user-tasks/search']) {
        const res = await post(path, body, 'application/json');
        expectProblem(res, 400, 'INVALID_ARGUMENT');
        expect(res.body.errors).toEqual([{ field: '(body)', reason: 'expected a JSON object' }]);
      }
    }
    for (const body of ['"text"', '42', 'null', '{"a":', 'not json']) {
      const res = await post('/v2/process-instances', body, 'application/json');
      expectProblem(res, 400, 'INVALID_ARGUMENT');
      expect(res.body.errors[0].field).toBe('(body)');
    }
  });

  it('answers 413 for a body over the limit', async () => {
    const big = JSON.stringify({
      processDefinitionId: 'x',
      variables: { blob: 'x'.repeat(2 * 1024 * 1024) },
    });
    expectProblem(await post('/v2/process-instances', big, 'application/json'), 413, 'PAYLOAD_TOO_LARGE');
    const login = await fetch(`${t.baseUrl}/v2/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'x'.repeat(20_000) }),
    });
    expect(login.status).toBe(413);
    expect(login.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('still checks credentials before reading any body', async () => {
    const res = await fetch(`${t.baseUrl}/v2/process-instances`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(res.status).toBe(401);
  });
});

describe('request logs', () => {
  let lines: string[] = [];
  beforeAll(() => setLogLevel('info', (l) => lines.push(l)));
  afterEach(() => {
    lines = [];
  });
  afterAll(() => setLogLevel((process.env.LOG_LEVEL as any) || 'warn'));

  const lineOf = (id: string) => {
    const found = lines.map((l) => JSON.parse(l)).filter((l) => l.reqId === id);
    expect(found).toHaveLength(1);
    return found[0];
  };

  it('writes one JSON line per request with its id, method, url, status and duration', async () => {
    const res = await t.api('GET', '/v2/topology?x=secret', undefined, {
      headers: { 'x-request-id': 'req-42.a_b' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-42.a_b');
    await new Promise((r) => setTimeout(r, 20));
    const line = lineOf('req-42.a_b');
    expect(line).toMatchObject({
      level: 'info',
      reqId: 'req-42.a_b',
      method: 'GET',
      url: '/v2/topology',
      status: 200,
      user: 'admin',
    });
    expect(typeof line.durationMs).toBe('number');
    expect(typeof line.time).toBe('string');
    // No credentials, no cookies, no query values in the log.
    const all = lines.join('\n');
    expect(all).not.toContain(Buffer.from('admin:admin').toString('base64'));
    expect(all.toLowerCase()).not.toContain('authorization');
    expect(all).not.toContain('secret');
  });

  it('generates an id when the client sends none or a strange one, and logs problems with it', async () => {
    const res = await t.api('GET', '/v2/process-instances/123', undefined, {
      headers: { 'x-request-id': 'no spaces, please' },
    });
    expect(res.status).toBe(404);
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 20));
    expect(lineOf(id)).toMatchObject({ status: 404, problem: { title: 'NOT_FOUND' } });
    const unauth = await fetch(`${t.baseUrl}/v2/topology`, {
      // (a cookie value of letters no UUID holds: `abc` matched a generated request id once)
      headers: { authorization: 'Basic bm9ib2R5Om5vcGU=', cookie: 'lifeflow_session=xyz-secret' },
    });
    expect(unauth.status).toBe(401);
    await new Promise((r) => setTimeout(r, 20));
    const line = lineOf(unauth.headers.get('x-request-id')!);
    expect(line).toMatchObject({ status: 401, problem: { title: 'UNAUTHORIZED' } });
    expect(lines.join('\n')).not.toMatch(/bm9ib2R5|lifeflow_session|xyz-secret/);
  });

  it('logs the request of a failed login without the password', async () => {
    const res = await fetch(`${t.baseUrl}/v2/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: 'hunter2-wrong' }),
    });
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 20));
    expect(lineOf(res.headers.get('x-request-id')!)).toMatchObject({ method: 'POST', url: '/v2/auth/login' });
    expect(lines.join('\n')).not.toContain('hunter2');
  });

  it('redacts secrets callers pass as fields, and honours the level', () => {
    const out: string[] = [];
    const logger = createLogger('info', (l) => out.push(l));
    logger.info('with secrets', {
      password: 'p1',
      user: { password: 'p2', name: 'n' },
      req: { headers: { authorization: 'Basic x', cookie: 'c=1', accept: '*/*' } },
      token: 't',
    });
    logger.debug('hidden');
    logger.error('failed', { err: new Error('boom') });
    expect(out).toHaveLength(2);
    const first = JSON.parse(out[0]);
    expect(first).toMatchObject({
      level: 'info',
      msg: 'with secrets',
      password: '[redacted]',
      user: { password: '[redacted]', name: 'n' },
      req: { headers: { authorization: '[redacted]', cookie: '[redacted]', accept: '*/*' } },
      token: '[redacted]',
    });
    expect(JSON.parse(out[1])).toMatchObject({ level: 'error', err: { message: 'boom', type: 'Error' } });
    expect(JSON.parse(out[1]).err.stack).toContain('boom');
  });
});
