import type { Knex } from 'knex';
import { type CycleState, nextOccurrence } from '../../engine/expressions/timers.js';
import { Problem } from '../http/problem.js';
import { log } from '../logging/logger.js';
import { iso } from '../persistence/rows.js';
import type { Actor, EngineService } from '../services/engine-service.js';

const FIRE_CONCURRENCY = 8;

/** Who fires timers and delivers thrown signals, for the audit trail. */
export const TIMER_ACTOR = 'system:timer';

const systemActor = (tenantId: string): Actor => ({
  username: TIMER_ACTOR,
  tenantIds: [tenantId],
  groups: [],
  roles: ['admin'],
});

interface ClaimedTimer {
  job_key: string;
  kind: 'TIMER' | 'SIGNAL';
  type: string;
  custom_headers: Record<string, string> | null;
  process_instance_key: string | null;
  process_definition_key: string;
  process_definition_id: string | null;
  tenant_id: string;
  element_id: string;
  due_at: Date | string;
  timer_cycle: CycleState | null;
}

/**
 * Fires timers. Claiming is one statement with FOR UPDATE SKIP LOCKED, so several runtime nodes
 * share the work and no timer fires twice; a claim is a lock with an expiry, so a timer claimed by
 * a node that died is fired by another once the lock ran out. The executor sleeps until the nearest
 * due time and wakes early on NOTIFY (or a local signal) when new timers appear: no polling.
 */
export class TimerExecutor {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private again = false;
  private stopped = true;

  constructor(
    private readonly knex: Knex,
    private readonly engine: EngineService,
    private readonly clock: () => Date,
    private readonly node: string,
    /** Delivers a signal broadcast written by a signal throw event. */
    private readonly broadcast: (
      job: { jobKey: string; signalName: string; variables: Record<string, unknown>; tenantId: string },
      actor: Actor,
      now: Date,
    ) => Promise<unknown>,
    private readonly lockMs = 30_000,
  ) {}

  start(): void {
    this.stopped = false;
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Something changed: run what is due now and sleep until the next due time. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void (async () => {
      try {
        do {
          this.again = false;
          await this.runDue();
        } while (this.again && !this.stopped);
        await this.sleepUntilNextDue();
      } catch (err) {
        log.error('timer executor failed; retrying in 5 s', { err });
        this.schedule(5000);
      } finally {
        this.running = false;
      }
    })();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    this.timer.unref();
  }

  private async sleepUntilNextDue(): Promise<void> {
    const row = await this.knex.raw(
      `select min(t) as t from (
         select min(due_at) as t from jobs where kind in ('TIMER', 'SIGNAL') and state = 'CREATED'
         union all select min(deadline) from jobs where kind in ('TIMER', 'SIGNAL') and state = 'ACTIVATED') x`,
    );
    const next = row.rows[0]?.t;
    if (next) this.schedule(new Date(next).getTime() - this.clock().getTime());
  }

  /** Fires every timer that is due now (batch by batch); returns how many fired. Tests call it. */
  async runDue(batch = 64): Promise<number> {
    let fired = 0;
    for (;;) {
      const claimed = await this.claim(batch);
      // Fire a batch with a few commands in flight: timers of different instances do not wait for
      // each other (on PGlite's single connection they queue anyway).
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(FIRE_CONCURRENCY, claimed.length) }, async () => {
          while (next < claimed.length) if (await this.fire(claimed[next++])) fired++;
        }),
      );
      if (claimed.length < batch) return fired;
    }
  }

  private async claim(batch: number): Promise<ClaimedTimer[]> {
    const now = this.clock();
    const result = await this.knex.raw(
      `update jobs set state = 'ACTIVATED', worker = ?, deadline = ?
       where job_key in (
         select job_key from jobs
         where kind in ('TIMER', 'SIGNAL') and ((state = 'CREATED' and due_at <= ?) or (state = 'ACTIVATED' and deadline < ?))
         order by due_at limit ? for update skip locked)
       returning job_key::text as job_key, kind, type, custom_headers, process_instance_key::text as process_instance_key,
         process_definition_key::text as process_definition_key, process_definition_id, tenant_id, element_id, due_at, timer_cycle`,
      [this.node, new Date(now.getTime() + this.lockMs), now, now, batch],
    );
    return result.rows;
  }

  private async fire(timer: ClaimedTimer): Promise<boolean> {
    try {
      if (timer.kind === 'SIGNAL') {
        const variables = JSON.parse(timer.custom_headers?.variables ?? '{}');
        await this.broadcast(
          { jobKey: timer.job_key, signalName: timer.type, variables, tenantId: timer.tenant_id },
          systemActor(timer.tenant_id),
          this.clock(),
        );
      } else if (timer.process_instance_key) {
        await this.engine.execute(
          { type: 'timer.trigger', jobKey: timer.job_key },
          systemActor(timer.tenant_id),
        );
      } else {
        await this.startInstance(timer);
      }
      return true;
    } catch (err) {
      // Stale only when the timer or its element is really gone; a lost race (CONFLICT) is retried.
      if (err instanceof Problem && (err.title === 'NOT_FOUND' || err.title === 'INVALID_STATE')) {
        // The element that owned the timer ended meanwhile: the timer is stale.
        await this.knex('jobs')
          .where({ job_key: timer.job_key, state: 'ACTIVATED' })
          .update({ state: 'CANCELED', ended_at: this.clock() });
        return false;
      }
      log.error('a timer failed to fire; it is retried when its lock expires', {
        jobKey: timer.job_key,
        err,
      });
      return false;
    }
  }

  /** A timer start event: start an instance there and plan the next occurrence, in one transaction. */
  private async startInstance(timer: ClaimedTimer): Promise<void> {
    const now = this.clock();
    await this.knex.transaction(async (trx) => {
      const done = await trx('jobs')
        .where({ job_key: timer.job_key, state: 'ACTIVATED' })
        .update({ state: 'COMPLETED', ended_at: now });
      if (Number(done) !== 1) return; // replaced by a new version meanwhile
      if (timer.timer_cycle) {
        const next = nextOccurrence(timer.timer_cycle, new Date(iso(timer.due_at)!), now);
        if (next) {
          const job = await trx('jobs').where({ job_key: timer.job_key }).first();
          await trx('jobs').insert({
            ...job,
            job_key: this.engine.nextKey(),
            state: 'CREATED',
            worker: null,
            deadline: null,
            due_at: next.dueAt,
            ended_at: null,
            created_at: now,
            custom_headers: JSON.stringify(job.custom_headers ?? {}),
            timer_cycle: next.next ? JSON.stringify(next.next) : null,
          });
        }
      }
      // The module of the process is disabled in the tenant: this occurrence starts nothing (the
      // next one is already scheduled and starts once the module is enabled again).
      if (
        timer.process_definition_id &&
        (await this.engine.startDisabled(timer.tenant_id, timer.process_definition_id, trx))
      )
        return;
      await this.engine.createInstance(
        { processDefinitionKey: timer.process_definition_key, startElementId: timer.element_id },
        systemActor(timer.tenant_id),
        trx,
      );
    });
  }
}
