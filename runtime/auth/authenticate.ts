import { createHash } from 'node:crypto';
import argon2 from 'argon2';
import type { NextFunction, Request, Response } from 'express';
import type { Knex } from 'knex';
import { unauthorized } from '../http/problem.js';

export interface Principal {
  username: string;
  name: string;
  tenantIds: string[];
  groups: string[];
  roles: string[];
}

declare global {
  namespace Express {
    interface Request {
      principal?: Principal;
    }
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Authenticates API clients with HTTP Basic (argon2-hashed passwords) or a bearer API token
 * (stored as a SHA-256 hash; tokens are random 32 bytes, so a slow hash adds nothing). Verified
 * Basic credentials are remembered for a minute so argon2 does not run on every call.
 */
export class Authenticator {
  private readonly verified = new Map<string, { username: string; until: number }>();

  constructor(private readonly knex: Knex) {}

  async principalFor(username: string): Promise<Principal | null> {
    const user = await this.knex('users').where({ username, enabled: true }).first('username', 'name');
    if (!user) return null;
    const direct = await this.knex('memberships').where({ member_type: 'USER', member_id: username });
    const groups = direct
      .filter((m: any) => m.container_type === 'GROUP')
      .map((m: any) => m.container_id as string);
    const viaGroups = groups.length
      ? await this.knex('memberships').where({ member_type: 'GROUP' }).whereIn('member_id', groups)
      : [];
    const all = [...direct, ...viaGroups];
    const pick = (type: string) => [
      ...new Set(all.filter((m: any) => m.container_type === type).map((m: any) => m.container_id as string)),
    ];
    return {
      username: user.username,
      name: user.name,
      tenantIds: pick('TENANT'),
      groups,
      roles: pick('ROLE'),
    };
  }

  async verifyPassword(username: string, password: string): Promise<Principal | null> {
    const cacheKey = sha256(`${username}\u0000${password}`);
    const hit = this.verified.get(cacheKey);
    if (hit && hit.until > Date.now()) return this.principalFor(hit.username);
    const user = await this.knex('users').where({ username, enabled: true }).first('password_hash');
    if (!user) return null;
    if (!(await argon2.verify(user.password_hash, password))) return null;
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(cacheKey, { username, until: Date.now() + 60_000 });
    return this.principalFor(username);
  }

  async verifyToken(token: string): Promise<Principal | null> {
    const row = await this.knex('api_tokens')
      .where({ token_hash: sha256(token) })
      .whereNull('revoked_at')
      .first('username');
    if (!row) return null;
    return this.principalFor(row.username);
  }

  /** Express middleware: every request under it must carry valid credentials. */
  middleware() {
    return async (req: Request, res: Response, next: NextFunction) => {
      const header = req.headers.authorization ?? '';
      let principal: Principal | null = null;
      if (header.startsWith('Basic ')) {
        const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        if (i > 0) principal = await this.verifyPassword(decoded.slice(0, i), decoded.slice(i + 1));
      } else if (header.startsWith('Bearer ')) {
        principal = await this.verifyToken(header.slice(7).trim());
      }
      if (!principal) {
        res.setHeader('WWW-Authenticate', 'Basic realm="lifeflow", charset="UTF-8"');
        return next(
          unauthorized(
            header
              ? 'the credentials are not valid'
              : 'authentication is required: use HTTP Basic or a bearer API token',
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
