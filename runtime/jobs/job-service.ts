import { EventEmitter } from 'node:events';
import type { Knex } from 'knex';
import { iso } from '../persistence/rows.js';

export interface ActivatedJob {
  jobKey: string;
  type: string;
  kind: string;
  listenerEventType: string;
  processInstanceKey: string;
  processDefinitionId: string;
  processDefinitionVersion: number;
  processDefinitionKey: string;
  elementId: string;
  elementInstanceKey: string;
  customHeaders: Record<string, string>;
  worker: string;
  retries: number;
  deadline: number;
  variables: Record<string, unknown>;
  tenantId: string;
}

export interface ActivationRequest {
  type: string;
  worker: string;
  timeout: number;
  maxJobsToActivate: number;
  fetchVariable?: string[];
  requestTimeout?: number;
  tenantIds: string[];
}

/**
 * Hands jobs to workers. Claiming is one statement with FOR UPDATE SKIP LOCKED, so concurrent
 * workers never get the same job; an activated job whose deadline passed can be claimed again.
 * Long polling waits for a 'jobs-available' signal (raised after a commit that created jobs).
 */
export class JobService {
  readonly signals = new EventEmitter<{ available: [string] }>();

  constructor(
    private readonly knex: Knex,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.signals.setMaxListeners(0);
  }

  notifyAvailable(type: string): void {
    this.signals.emit('available', type);
  }

  /**
   * Claims up to maxJobsToActivate jobs. With a requestTimeout it long-polls: it answers as soon
   * as jobs exist, waking on job creation (and re-checking each second for jobs whose back-off or
   * lock ran out), and stops as soon as `signal` aborts (the client went away), so no job is
   * locked for a worker that is gone.
   */
  async activate(req: ActivationRequest, signal?: AbortSignal): Promise<ActivatedJob[]> {
    const jobs = await this.claim(req);
    if (jobs.length > 0 || !req.requestTimeout || req.requestTimeout <= 0) return jobs;
    const until = Date.now() + req.requestTimeout;
    while (Date.now() < until && !signal?.aborted) {
      // Sleep until a job of this type is created (local signal or NOTIFY from another node), or
      // until the nearest moment one becomes claimable by time (back-off over, lock expired).
      const nextByTime = await this.nextClaimableAt(req);
      const wait = Math.min(
        until - Date.now(),
        nextByTime === null ? Number.POSITIVE_INFINITY : nextByTime - this.clock().getTime(),
      );
      await new Promise<void>((resolve) => {
        const listener = (type: string) => {
          if (type === req.type || type === '') done();
        };
        const timer = setTimeout(done, Math.max(0, wait));
        const signals = this.signals;
        function done() {
          clearTimeout(timer);
          signals.off('available', listener);
          signal?.removeEventListener('abort', done);
          resolve();
        }
        signals.on('available', listener);
        signal?.addEventListener('abort', done);
      });
      if (signal?.aborted) break;
      const found = await this.claim(req);
      if (found.length > 0) return found;
    }
    return [];
  }

  /** When the next job of this type becomes claimable by the passing of time, or null. */
  private async nextClaimableAt(req: ActivationRequest): Promise<number | null> {
    const now = this.clock();
    const row = await this.knex('jobs')
      .where({ type: req.type, kind: 'BPMN_ELEMENT' })
      .whereIn('tenant_id', req.tenantIds)
      .where((q) =>
        q
          .where((a) => a.where('state', 'CREATED').andWhere('due_at', '>', now))
          .orWhere((b) => b.where('state', 'ACTIVATED').andWhere('deadline', '>=', now)),
      )
      .select(this.knex.raw("min(case when state = 'CREATED' then due_at else deadline end) as t"))
      .first();
    return row?.t ? new Date(row.t).getTime() : null;
  }

  private async claim(req: ActivationRequest): Promise<ActivatedJob[]> {
    const now = this.clock();
    const deadline = new Date(now.getTime() + req.timeout);
    return this.knex.transaction(async (trx) => {
      const claimable = trx('jobs')
        .select('job_key')
        .where('type', req.type)
        .where('kind', 'BPMN_ELEMENT')
        .whereIn('tenant_id', req.tenantIds)
        .where((q) =>
          q
            .where((a) => a.where('state', 'CREATED').andWhere('due_at', '<=', now))
            .orWhere((b) => b.where('state', 'ACTIVATED').andWhere('deadline', '<', now)),
        )
        .orderBy('due_at')
        .limit(req.maxJobsToActivate)
        .forUpdate()
        .skipLocked();
      const rows = await trx('jobs')
        .whereIn('job_key', claimable)
        .update({ state: 'ACTIVATED', worker: req.worker, deadline })
        .returning('*');
      if (rows.length === 0) return [];
      const variables = await visibleVariables(
        trx,
        rows.map((r: any) => String(r.element_instance_key)),
        req.fetchVariable,
      );
      return rows.map((r: any) => ({
        jobKey: String(r.job_key),
        type: r.type,
        kind: r.kind,
        listenerEventType: 'UNSPECIFIED',
        processInstanceKey: String(r.process_instance_key),
        processDefinitionId: r.process_definition_id,
        processDefinitionVersion: r.process_definition_version,
        processDefinitionKey: String(r.process_definition_key),
        elementId: r.element_id,
        elementInstanceKey: String(r.element_instance_key),
        customHeaders: r.custom_headers ?? {},
        worker: r.worker,
        retries: r.retries,
        deadline: new Date(iso(r.deadline)!).getTime(),
        variables: variables.get(String(r.element_instance_key)) ?? {},
        tenantId: r.tenant_id,
      }));
    });
  }
}

/**
 * The variables visible from each element instance (its own, then its scopes' up to the process),
 * read with two queries for the whole batch.
 */
export async function visibleVariables(
  trx: Knex,
  elementInstanceKeys: string[],
  only?: string[],
): Promise<Map<string, Record<string, unknown>>> {
  const result = new Map<string, Record<string, unknown>>();
  if (elementInstanceKeys.length === 0) return result;
  const chains = await trx.raw(
    `WITH RECURSIVE chain(start_key, pik, key, depth) AS (
       SELECT element_instance_key, process_instance_key, element_instance_key, 0 FROM element_instances
       WHERE element_instance_key = ANY(?::bigint[])
       UNION ALL
       SELECT c.start_key, c.pik, e.flow_scope_key, c.depth + 1 FROM chain c JOIN element_instances e ON e.element_instance_key = c.key
       WHERE e.flow_scope_key <> -1
     )
     SELECT c.start_key::text AS start_key, c.depth, v.name, v.value
     FROM chain c JOIN variables v ON v.process_instance_key = c.pik AND v.scope_key = c.key
     ORDER BY c.start_key, c.depth DESC`,
    [elementInstanceKeys],
  );
  for (const row of chains.rows as Array<{ start_key: string; name: string; value: unknown }>) {
    if (only && only.length > 0 && !only.includes(row.name)) continue;
    const vars = result.get(row.start_key) ?? {};
    result.set(row.start_key, vars);
    vars[row.name] = row.value;
  }
  return result;
}
