import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import argon2 from 'argon2';
import type { NextFunction, Request, Response } from 'express';
import type { Knex } from 'knex';
import { forbidden, unauthorized } from '../http/problem.js';

export interface Principal {
  username: string;
  name: string;
  tenantIds: string[];
  groups: string[];
  roles: string[];
  /** How the request proved who it is; cookie sessions must also prove intent (CSRF). */
  via: 'basic' | 'token' | 'session';
  /** The session's CSRF token (cookie sessions only). */
  csrfToken?: string;
  /** The session's id hash (cookie sessions only), to log it out. */
  sessionHash?: string;
}

declare global {
  namespace Express {
    interface Request {
      principal?: Principal;
    }
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export const SESSION_COOKIE = 'lifeflow_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface SessionSettings {
  /** A session nobody used for this long ends (default 8 hours). */
  idleMs: number;
  /** A session ends this long after login whatever happens (default 7 days). */
  absoluteMs: number;
  /** Mark the cookie Secure (HTTPS only). Default: when the request came over HTTPS. */
  secureCookie?: boolean;
}

export const DEFAULT_SESSION_SETTINGS: SessionSettings = {
  idleMs: 8 * 3600_000,
  absoluteMs: 7 * 24 * 3600_000,
};

/** Reads one cookie from the Cookie header (no dependency needed for that). */
export function readCookie(req: Pick<Request, 'headers'>, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Authenticates every request: HTTP Basic (argon2-hashed passwords), a bearer API token (stored
 * as a SHA-256 hash; tokens are random 32 bytes, so a slow hash adds nothing), or the web app's
 * session cookie (stored as a SHA-256 hash, idle and absolute expiry). Requests that rely on the
 * cookie and change something must carry the session's CSRF token in `X-CSRF-Token`. Verified
 * Basic credentials are remembered for a minute so argon2 does not run on every call; changing a
 * password or disabling a user forgets them at once.
 */
export class Authenticator {
  private readonly verified = new Map<string, { username: string; until: number }>();
  /** A hash to verify against when the user does not exist, so timing does not tell. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly knex: Knex,
    readonly sessions: SessionSettings = DEFAULT_SESSION_SETTINGS,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * The enabled user a condition finds, with their tenants, groups and roles (directly or through
   * their groups), in one query: it runs on every request.
   */
  private async loadPrincipal(
    from: string,
    where: string,
    bindings: string[],
    via: Principal['via'],
  ): Promise<Principal | null> {
    const result = await this.knex
      .raw(
        `select u.username, u.name,
         coalesce((select json_agg(json_build_array(m.container_type, m.container_id, m.direct)) from (
            select container_type, container_id, true as direct from memberships
             where member_type = 'USER' and member_id = u.username
            union
            select g.container_type, g.container_id, false from memberships d
              join memberships g on g.member_type = 'GROUP' and g.member_id = d.container_id
             where d.member_type = 'USER' and d.member_id = u.username and d.container_type = 'GROUP') m), '[]') as containers
       from ${from} where ${where} and u.enabled limit 1`,
        bindings,
      )
      .options({ name: `lf_principal_${from.startsWith('api_tokens') ? 'token' : 'user'}` });
    const row = result.rows[0];
    if (!row) return null;
    const containers = (
      typeof row.containers === 'string' ? JSON.parse(row.containers) : row.containers
    ) as Array<[string, string, boolean]>;
    const pick = (type: string, directOnly = false) => [
      ...new Set(containers.filter(([t, , d]) => t === type && (d || !directOnly)).map(([, id]) => id)),
    ];
    return {
      username: row.username,
      name: row.name,
      tenantIds: pick('TENANT'),
      groups: pick('GROUP', true),
      roles: pick('ROLE'),
      via,
    };
  }

  principalFor(username: string, via: Principal['via']): Promise<Principal | null> {
    return this.loadPrincipal('users u', 'u.username = ?', [username], via);
  }

  async verifyPassword(username: string, password: string): Promise<Principal | null> {
    const cacheKey = sha256(`${username}\u0000${password}`);
    const hit = this.verified.get(cacheKey);
    if (hit && hit.until > Date.now()) return this.principalFor(hit.username, 'basic');
    const user = await this.knex('users').where({ username, enabled: true }).first('password_hash');
    if (!user) {
      this.dummyHash ??= argon2.hash(randomBytes(16).toString('hex'));
      await argon2.verify(await this.dummyHash, password).catch(() => false);
      return null;
    }
    if (!(await argon2.verify(user.password_hash, password))) return null;
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(cacheKey, { username, until: Date.now() + 60_000 });
    return this.principalFor(username, 'basic');
  }

  /** Forgets remembered passwords and ends the sessions of a user (password changed, disabled, deleted). */
  async forget(username: string, db: Knex = this.knex): Promise<void> {
    for (const [key, entry] of this.verified) if (entry.username === username) this.verified.delete(key);
    await db('sessions').where({ username }).delete();
  }

  verifyToken(token: string): Promise<Principal | null> {
    return this.loadPrincipal(
      'api_tokens t join users u on u.username = t.username',
      't.token_hash = ? and t.revoked_at is null',
      [sha256(token)],
      'token',
    );
  }

  /** Starts a session for a verified user; returns the cookie value and the CSRF token. */
  async createSession(
    username: string,
    req: Pick<Request, 'headers' | 'ip'>,
  ): Promise<{ id: string; csrfToken: string; expiresAt: Date }> {
    const id = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const now = this.clock();
    const expiresAt = new Date(now.getTime() + this.sessions.idleMs);
    await this.knex('sessions').insert({
      session_hash: sha256(id),
      username,
      csrf_token: csrfToken,
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
      user_agent: String(req.headers['user-agent'] ?? '').slice(0, 300) || null,
      ip: req.ip ?? null,
    });
    // Expired sessions are swept now and then, not on every login.
    if (Math.random() < 0.05) await this.knex('sessions').where('expires_at', '<', now).delete();
    return { id, csrfToken, expiresAt };
  }

  async endSession(sessionHash: string): Promise<void> {
    await this.knex('sessions').where({ session_hash: sessionHash }).delete();
  }

  private async verifySession(id: string): Promise<Principal | null> {
    const hash = sha256(id);
    const row = await this.knex('sessions').where({ session_hash: hash }).first();
    if (!row) return null;
    const now = this.clock();
    const created = new Date(row.created_at).getTime();
    if (new Date(row.expires_at) <= now || created + this.sessions.absoluteMs <= now.getTime()) {
      await this.endSession(hash);
      return null;
    }
    // Sliding idle expiry, written at most once a minute.
    if (now.getTime() - new Date(row.last_seen_at).getTime() > 60_000) {
      await this.knex('sessions')
        .where({ session_hash: hash })
        .update({ last_seen_at: now, expires_at: new Date(now.getTime() + this.sessions.idleMs) });
    }
    const principal = await this.principalFor(row.username, 'session');
    if (!principal) return null;
    return { ...principal, csrfToken: row.csrf_token, sessionHash: hash };
  }

  /** The principal of a request, or null; throws 403 for a cookie write without the CSRF token. */
  async authenticate(req: Pick<Request, 'headers' | 'method'>): Promise<Principal | null> {
    const header = req.headers.authorization ?? '';
    if (header.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const i = decoded.indexOf(':');
      return i > 0 ? this.verifyPassword(decoded.slice(0, i), decoded.slice(i + 1)) : null;
    }
    if (header.startsWith('Bearer ')) return this.verifyToken(header.slice(7).trim());
    if (header) return null;
    const cookie = readCookie(req, SESSION_COOKIE);
    if (!cookie) return null;
    const principal = await this.verifySession(cookie);
    if (principal && UNSAFE_METHODS.has(req.method)) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !sameSecret(sent, principal.csrfToken!)) {
        throw forbidden(
          'this request uses the session cookie and changes data: send the session’s CSRF token in the X-CSRF-Token header',
        );
      }
    }
    return principal;
  }

  /** Express middleware: every request under it must carry valid credentials. */
  middleware() {
    return async (req: Request, res: Response, next: NextFunction) => {
      let principal: Principal | null;
      try {
        principal = await this.authenticate(req);
      } catch (err) {
        return next(err);
      }
      if (!principal) {
        // A Bearer challenge: browsers do not prompt for it (and so never cache Basic credentials
        // that a cross-site form could ride on); API clients send Basic or a token up front.
        res.setHeader('WWW-Authenticate', 'Bearer realm="lifeflow"');
        const sent = req.headers.authorization || readCookie(req, SESSION_COOKIE);
        return next(
          unauthorized(
            sent
              ? 'the credentials are not valid (or the session has ended)'
              : 'authentication is required: log in, or use HTTP Basic or a bearer API token',
          ),
        );
      }
      req.principal = principal;
      next();
    };
  }
}

export function hashToken(token: string): string {
  return sha256(token);
}

/**
 * Counts failed logins per client address and per address and user name in a sliding window, so
 * password guessing is slowed down: more than `perUser` failures for one name, or `perAddress`
 * from one address, within `windowMs` answer 429 until the window has moved on.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly windowMs = 15 * 60_000,
    private readonly perUser = 5,
    private readonly perAddress = 30,
    private readonly now: () => number = Date.now,
  ) {}

  private recent(key: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > since);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Seconds to wait before trying again, or 0 when a try is allowed now. */
  retryAfter(ip: string, username: string): number {
    const wait = (list: number[], limit: number) =>
      list.length >= limit ? Math.ceil((list[list.length - limit] + this.windowMs - this.now()) / 1000) : 0;
    return Math.max(
      wait(this.recent(`u|${ip}|${username.toLowerCase()}`), this.perUser),
      wait(this.recent(`a|${ip}`), this.perAddress),
    );
  }

  fail(ip: string, username: string): void {
    if (this.failures.size > 50_000) this.failures.clear();
    for (const key of [`u|${ip}|${username.toLowerCase()}`, `a|${ip}`])
      this.failures.set(key, [...this.recent(key), this.now()]);
  }

  succeed(ip: string, username: string): void {
    this.failures.delete(`u|${ip}|${username.toLowerCase()}`);
  }

  /**
   * Counts a try as failed before its password is checked, so tries sent at the same time cannot
   * all pass {@link retryAfter} while the first is still being checked. Call the answer when the
   * try succeeded: it is taken back from the address's count and the user's failures are forgotten.
   */
  begin(ip: string, username: string): () => void {
    this.fail(ip, username);
    const at = this.now();
    return () => {
      const key = `a|${ip}`;
      const list = this.failures.get(key);
      const i = list?.lastIndexOf(at) ?? -1;
      if (list && i >= 0) list.splice(i, 1);
      this.succeed(ip, username);
    };
  }
}
