import type { Knex } from 'knex';
import type { Authenticator } from '../auth/authenticate.js';
import type { DocumentService } from '../documents/document-service.js';
import type { JobService } from '../jobs/job-service.js';
import type { DefinitionService } from '../services/definitions.js';
import type { Actor, EngineService } from '../services/engine-service.js';
import type { EventService } from '../services/event-service.js';
import type { IdentityService } from '../services/identity-service.js';
import type { InstanceOps } from '../services/instance-ops.js';
import type { NotificationService } from '../notifications/notification-service.js';
import type { TaskService } from '../services/task-service.js';
import type { CalendarService } from '../services/calendar-service.js';
import type { ModuleService } from '../services/module-service.js';
import type { Request } from 'express';
import { badRequest, forbidden, type FieldError } from './problem.js';
import { isKey } from './keys.js';

/** What the routes need; built once in main.ts (the composition root). */
export interface AppServices {
  knex: Knex;
  definitions: DefinitionService;
  engine: EngineService;
  tasks: TaskService;
  events: EventService;
  jobs: JobService;
  auth: Authenticator;
  identity: IdentityService;
  instanceOps: InstanceOps;
  notifications: NotificationService;
  /** Working calendars (工作日历) and working-time arithmetic for timeouts. */
  calendars: CalendarService;
  /** Time zone of dates shown to people (notification texts, approval records). */
  timeZone?: string;
  /** Hosts outgoing HTTP (http jobs, webhooks) may reach. */
  httpAllowedHosts: string[];
  documents: DocumentService;
  /** Modules: the group standard's bundles and each tenant's use of them. */
  modules: ModuleService;
  nextKey: () => string;
  version: string;
}

export function actorOf(req: Request): Actor {
  const p = req.principal!;
  return { username: p.username, tenantIds: p.tenantIds, groups: p.groups, roles: p.roles };
}

/** The tenants a request may act in: the one it names (if the caller is a member) or all of the caller's. */
export function tenantScope(req: Request, tenantId: unknown): string[] {
  const all = req.principal!.tenantIds;
  if (tenantId === undefined || tenantId === null || tenantId === '') return all;
  if (typeof tenantId !== 'string')
    throw badRequest('tenantId must be a string', [{ field: 'tenantId', reason: 'must be a string' }]);
  if (!all.includes(tenantId)) throw forbidden(`you are not a member of tenant <${tenantId}>`);
  return [tenantId];
}

/**
 * The one tenant a write goes to: the one named (the caller must be a member), else `<default>`
 * when the caller belongs to it (as in Camunda), else the caller's only tenant.
 */
export function targetTenant(req: Request, tenantId: unknown, field = 'tenantId'): string {
  if (tenantId !== undefined && tenantId !== null && tenantId !== '') return tenantScope(req, tenantId)[0];
  const mine = req.principal!.tenantIds;
  if (mine.includes('<default>')) return '<default>';
  if (mine.length === 1) return mine[0];
  throw badRequest(`you belong to several tenants: name the ${field}`, [
    { field, reason: 'is required when you belong to several tenants' },
  ]);
}

/** Small body readers that collect field errors instead of throwing one at a time. */
export class BodyReader {
  readonly errors: FieldError[] = [];
  constructor(readonly body: Record<string, unknown>) {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      this.body = {};
      this.errors.push({ field: '(body)', reason: 'expected a JSON object' });
    }
  }
  string(field: string, opts: { required?: boolean } = {}): string | undefined {
    const v = this.body[field];
    if (v === undefined || v === null) {
      if (opts.required) this.errors.push({ field, reason: 'is required' });
      return undefined;
    }
    if (typeof v !== 'string' || (opts.required && v === '')) {
      this.errors.push({ field, reason: 'must be a non-empty string' });
      return undefined;
    }
    return v;
  }
  key(field: string, opts: { required?: boolean } = {}): string | undefined {
    const v = this.body[field];
    if (v === undefined || v === null) {
      if (opts.required) this.errors.push({ field, reason: 'is required' });
      return undefined;
    }
    const s = String(v);
    if (!isKey(s)) {
      this.errors.push({ field, reason: 'must be a key (a decimal number as a string)' });
      return undefined;
    }
    return s;
  }
  integer(field: string, opts: { required?: boolean; min?: number; max?: number } = {}): number | undefined {
    const v = this.body[field];
    if (v === undefined || v === null) {
      if (opts.required) this.errors.push({ field, reason: 'is required' });
      return undefined;
    }
    if (
      typeof v !== 'number' ||
      !Number.isInteger(v) ||
      (opts.min !== undefined && v < opts.min) ||
      (opts.max !== undefined && v > opts.max)
    ) {
      this.errors.push({
        field,
        reason: `must be an integer${opts.min !== undefined ? ` >= ${opts.min}` : ''}${opts.max !== undefined ? ` <= ${opts.max}` : ''}`,
      });
      return undefined;
    }
    return v;
  }
  boolean(field: string): boolean | undefined {
    const v = this.body[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      this.errors.push({ field, reason: 'must be true or false' });
      return undefined;
    }
    return v;
  }
  object(field: string): Record<string, unknown> {
    const v = this.body[field];
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.errors.push({ field, reason: 'must be an object' });
      return {};
    }
    return v as Record<string, unknown>;
  }
  stringArray(field: string): string[] | undefined {
    const v = this.body[field];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      this.errors.push({ field, reason: 'must be an array of strings' });
      return undefined;
    }
    return v as string[];
  }
  /** An optional (or required) comment of at most 2000 characters, as operations take. */
  comment(opts: { required?: boolean } = {}): string | null {
    const comment = this.string('comment', opts) ?? null;
    if (comment !== null && comment.length > 2000)
      this.errors.push({ field: 'comment', reason: 'must be at most 2000 characters' });
    return comment;
  }
  /** Throws one 400 naming every invalid field. */
  done(): void {
    if (this.errors.length)
      throw badRequest(
        `the request is not valid: ${this.errors.map((e) => `${e.field} ${e.reason}`).join('; ')}`,
        this.errors,
      );
  }
}

export { pathKey } from './keys.js';
