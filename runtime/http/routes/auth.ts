import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, Router } from 'express';
import { hashToken, LoginLimiter, SESSION_COOKIE } from '../../auth/authenticate.js';
import { LOCALES } from '../../notifications/templates.js';
import { refuseNul } from '../json-body.js';
import { badRequest, notFound, Problem } from '../problem.js';
import { type AppServices, BodyReader, pathKey } from '../services.js';

function sessionCookie(s: AppServices, req: Request, value: string, maxAgeMs: number): string {
  const secure = s.auth.sessions.secureCookie ?? req.secure;
  return [
    `${SESSION_COOKIE}=${encodeURIComponent(value)}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/**
 * The current user as the web app needs it, for the login answer and "who am I" alike: tenants
 * with their names (for the switcher) and the user's language.
 */
async function currentUser(s: AppServices, p: NonNullable<Request['principal']>) {
  const [user, tenants] = await Promise.all([
    s.knex('users').where({ username: p.username }).first('locale'),
    s.knex('tenants').whereIn('tenant_id', p.tenantIds).select('tenant_id', 'name'),
  ]);
  const names = new Map(tenants.map((t: any) => [t.tenant_id, t.name]));
  return {
    username: p.username,
    displayName: p.name,
    tenants: p.tenantIds.map((tenantId) => ({ tenantId, name: names.get(tenantId) ?? tenantId })),
    groups: p.groups,
    roles: p.roles,
    ...(p.csrfToken ? { csrfToken: p.csrfToken } : {}),
    locale: user?.locale ?? 'zh-CN',
  };
}

/**
 * Login for the web app (before authentication): JSON only, so a cross-site form cannot post it;
 * failed attempts are rate limited per address and user name.
 */
export function loginRoutes(s: AppServices): Router {
  const router = Router();
  const limiter = new LoginLimiter();
  router.post('/auth/login', express.json({ limit: '16kb' }), async (req: Request, res: Response) => {
    if (!req.is('application/json'))
      throw new Problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'log in with a JSON body { username, password }');
    refuseNul(req.body);
    const b = new BodyReader(req.body ?? {});
    const username = b.string('username', { required: true });
    const password = b.string('password', { required: true });
    b.done();
    const ip = req.ip ?? '';
    const wait = limiter.retryAfter(ip, username!);
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      throw new Problem(429, 'TOO_MANY_REQUESTS', `too many failed logins; try again in ${wait} seconds`);
    }
    // Counted before the (slow) check, so tries sent at once cannot all get through.
    const succeeded = limiter.begin(ip, username!);
    const principal = await s.auth.verifyPassword(username!, password!);
    if (!principal) {
      throw new Problem(
        401,
        'UNAUTHORIZED',
        'the user name or password is not correct, or the user is disabled',
      );
    }
    succeeded();
    const session = await s.auth.createSession(principal.username, req);
    res.setHeader('Set-Cookie', sessionCookie(s, req, session.id, s.auth.sessions.absoluteMs));
    res.json(await currentUser(s, { ...principal, via: 'session', csrfToken: session.csrfToken }));
  });
  return router;
}

/** The caller's own identity, session and API tokens. */
export function authRoutes(s: AppServices): Router {
  const router = Router();
  router.post('/auth/logout', async (req, res) => {
    const p = req.principal!;
    if (p.sessionHash) await s.auth.endSession(p.sessionHash);
    res.setHeader('Set-Cookie', sessionCookie(s, req, '', 0));
    res.status(204).end();
  });

  router.get('/authentication/me', async (req, res) => {
    res.json(await currentUser(s, req.principal!));
  });

  // The user's own preferences: today the language of the web app and of their notifications.
  router.put('/authentication/me/preferences', async (req, res) => {
    const b = new BodyReader(req.body ?? {});
    const locale = b.string('locale', { required: true });
    b.done();
    if (!(LOCALES as readonly string[]).includes(locale!))
      throw badRequest(`expected locale to be one of ${LOCALES.join(', ')}`, [
        { field: 'locale', reason: `must be one of ${LOCALES.join(', ')}` },
      ]);
    await s.knex('users').where({ username: req.principal!.username }).update({ locale });
    res.json({ locale });
  });

  router.post('/auth/tokens', async (req, res) => {
    const b = new BodyReader(req.body ?? {});
    const name = b.string('name', { required: true });
    b.done();
    const token = `lf_${randomBytes(32).toString('base64url')}`;
    const tokenKey = s.nextKey();
    await s
      .knex('api_tokens')
      .insert({ token_key: tokenKey, username: req.principal!.username, name, token_hash: hashToken(token) });
    res.status(201).json({ tokenKey, name, token });
  });

  router.get('/auth/tokens', async (req, res) => {
    const rows = await s
      .knex('api_tokens')
      .where({ username: req.principal!.username })
      .whereNull('revoked_at')
      .orderBy('token_key');
    res.json({
      items: rows.map((r: any) => ({
        tokenKey: String(r.token_key),
        name: r.name,
        createdAt: new Date(r.created_at).toISOString(),
      })),
      page: { totalItems: rows.length },
    });
  });

  router.delete('/auth/tokens/:key', async (req, res) => {
    const key = pathKey(req.params.key, 'tokenKey');
    const n = await s
      .knex('api_tokens')
      .where({ token_key: key, username: req.principal!.username })
      .whereNull('revoked_at')
      .update({ revoked_at: new Date() });
    if (!n) throw notFound(`expected to find API token with key <${key}>, but none was found`);
    res.status(204).end();
  });
  return router;
}
