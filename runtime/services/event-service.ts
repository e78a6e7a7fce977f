import type { Knex } from 'knex';
import { badRequest, conflict, notFound, Problem } from '../http/problem.js';
import type { Actor, EngineService } from './engine-service.js';

/**
 * Messages and signals from outside (REST) or from signal throw events (SIGNAL jobs).
 * - correlate: the message goes to exactly one waiting subscription (oldest first) or starts an
 *   instance at a message start event; nobody waiting is a 404.
 * - publish: the message goes to every instance waiting for it now (one subscription each) and to
 *   message start events; if nobody waits it is buffered until its time to live runs out and the
 *   first subscription that opens consumes it. A messageId identifies a buffered publication:
 *   publishing the same id again while it is buffered is refused.
 * - broadcast: a signal goes to every waiting signal subscription and signal start event.
 */
export class EventService {
  constructor(
    private readonly knex: Knex,
    private readonly engine: EngineService,
    private readonly clock: () => Date,
  ) {}

  private waiting(
    kind: 'MESSAGE' | 'SIGNAL',
    tenantId: string,
    name: string,
    correlationKey: string | null,
    db: Knex = this.knex,
  ) {
    const q = db('event_subscriptions')
      .where({ kind, tenant_id: tenantId, name, state: 'ACTIVE' })
      .orderBy('created_at')
      .orderBy('subscription_key')
      .select('subscription_key', 'process_instance_key', 'process_definition_key', 'element_id');
    if (kind === 'MESSAGE')
      q.where((w) => w.whereNull('process_instance_key').orWhere('correlation_key', correlationKey));
    // A start event of a process whose module is disabled in the tenant starts nothing.
    q.where((w) =>
      w
        .whereNotNull('process_instance_key')
        .orWhereNotExists((sub) =>
          sub
            .select(db.raw('1'))
            .from('disabled_processes as dp')
            .join('process_definitions as pd', 'pd.process_definition_id', 'dp.process_definition_id')
            .whereRaw('pd.process_definition_key = event_subscriptions.process_definition_key')
            .whereRaw('dp.tenant_id = event_subscriptions.tenant_id'),
        ),
    );
    return q;
  }

  /** Triggers one subscription; false when it closed meanwhile (another command won). */
  private async trigger(row: any, variables: Record<string, unknown>, actor: Actor): Promise<string | null> {
    try {
      if (row.process_instance_key === null) {
        const state = await this.engine.createInstance(
          {
            processDefinitionKey: String(row.process_definition_key),
            startElementId: row.element_id,
            variables,
          },
          actor,
        );
        return state.instance.processInstanceKey;
      }
      const state = await this.engine.execute(
        { type: 'subscription.trigger', subscriptionKey: String(row.subscription_key), variables },
        actor,
      );
      return state.instance.processInstanceKey;
    } catch (err) {
      if (err instanceof Problem && (err.status === 404 || err.status === 409)) return null;
      throw err;
    }
  }

  async correlate(
    req: {
      name: string;
      correlationKey: string | null;
      variables: Record<string, unknown>;
      tenantId: string;
    },
    actor: Actor,
  ) {
    const rows = await this.waiting('MESSAGE', req.tenantId, req.name, req.correlationKey);
    // Instances waiting come before start events: a message continues a case before it opens one.
    rows.sort(
      (a: any, b: any) => Number(a.process_instance_key === null) - Number(b.process_instance_key === null),
    );
    for (const row of rows) {
      const processInstanceKey = await this.trigger(row, req.variables, actor);
      if (processInstanceKey)
        return { messageKey: this.engine.nextKey(), tenantId: req.tenantId, processInstanceKey };
    }
    throw notFound(
      `expected to find a subscription for message <${req.name}> with correlation key <${req.correlationKey ?? ''}>, but none was found`,
    );
  }

  async publish(
    req: {
      name: string;
      correlationKey: string | null;
      variables: Record<string, unknown>;
      tenantId: string;
      timeToLive: number;
      messageId: string | null;
    },
    actor: Actor,
  ) {
    const now = this.clock();
    if (req.messageId) {
      await this.knex('messages')
        .where({ tenant_id: req.tenantId, name: req.name, message_id: req.messageId, state: 'BUFFERED' })
        .where('expires_at', '<=', now)
        .update({ state: 'EXPIRED' });
      // A message id names one publication for as long as its time to live, delivered or not.
      const dup = await this.knex('messages')
        .where({ tenant_id: req.tenantId, name: req.name, message_id: req.messageId })
        .where('expires_at', '>', now)
        .first('message_key');
      if (dup)
        throw conflict(
          `a message <${req.name}> with id <${req.messageId}> was already published and is still buffered`,
        );
    }
    const messageKey = this.engine.nextKey();
    const rows = await this.waiting('MESSAGE', req.tenantId, req.name, req.correlationKey);
    const seenInstances = new Set<string>();
    let delivered = 0;
    for (const row of rows) {
      if (row.process_instance_key !== null) {
        if (seenInstances.has(String(row.process_instance_key))) continue;
        seenInstances.add(String(row.process_instance_key));
      }
      if (await this.trigger(row, req.variables, actor)) delivered++;
    }
    if (req.timeToLive > 0 && (delivered === 0 || req.messageId)) {
      try {
        // Buffering and a subscription looking for buffered messages take the same lock, so a
        // subscription that opened since the lookup above is found here (or finds the message).
        const lateDelivery = await this.knex.transaction(async (trx) => {
          await lockMessageKey(trx, req.tenantId, req.name, req.correlationKey);
          if (delivered === 0) {
            const late = await this.waiting(
              'MESSAGE',
              req.tenantId,
              req.name,
              req.correlationKey,
              trx,
            ).whereNotNull('process_instance_key');
            if (late.length > 0) return late;
          }
          await trx('messages').insert({
            message_key: messageKey,
            tenant_id: req.tenantId,
            name: req.name,
            correlation_key: req.correlationKey,
            message_id: req.messageId,
            variables: JSON.stringify(req.variables),
            // a delivered message is kept only to recognise its id again
            state: delivered === 0 ? 'BUFFERED' : 'CORRELATED',
            expires_at: new Date(now.getTime() + req.timeToLive),
            created_at: now,
          });
          return [];
        });
        for (const row of lateDelivery) await this.trigger(row, req.variables, actor);
      } catch (err) {
        if ((err as { code?: string }).code === '23505') {
          throw conflict(
            `a message <${req.name}> with id <${req.messageId}> was already published and is still buffered`,
          );
        }
        throw err;
      }
    }
    return { messageKey, tenantId: req.tenantId };
  }

  /**
   * Delivers a signal thrown by a process (its SIGNAL job) in ONE transaction with marking the job
   * done: either every waiting subscription got it and the job is completed, or nothing happened
   * and the job is delivered again after its lock expires. Each delivery runs in a savepoint, so a
   * subscription that closed meanwhile is skipped without spoiling the others.
   */
  async deliverSignalJob(
    job: { jobKey: string; signalName: string; variables: Record<string, unknown>; tenantId: string },
    actor: Actor,
    now: Date,
  ) {
    await this.knex.transaction(async (trx) => {
      const rows = await this.waiting('SIGNAL', job.tenantId, job.signalName, null, trx).where(
        'subscription_key',
        '<',
        job.jobKey,
      );
      for (const row of rows) {
        try {
          await trx.transaction(async (sp) => {
            if (row.process_instance_key === null) {
              await this.engine.createInstance(
                {
                  processDefinitionKey: String(row.process_definition_key),
                  startElementId: row.element_id,
                  variables: job.variables,
                },
                actor,
                sp,
              );
            } else {
              await this.engine.executeIn(
                sp,
                {
                  type: 'subscription.trigger',
                  subscriptionKey: String(row.subscription_key),
                  variables: job.variables,
                },
                actor,
              );
            }
          });
        } catch (err) {
          if (err instanceof Problem && (err.title === 'NOT_FOUND' || err.title === 'INVALID_STATE'))
            continue;
          throw err;
        }
      }
      await trx('jobs').where({ job_key: job.jobKey }).update({ state: 'COMPLETED', ended_at: now });
    });
  }

  /** A signal from outside (REST): every waiting signal subscription and signal start event. */
  async broadcast(
    req: { signalName: string; variables: Record<string, unknown>; tenantId: string },
    actor: Actor,
  ) {
    if (!req.signalName)
      throw badRequest('a signal needs a name', [{ field: 'signalName', reason: 'is required' }]);
    const rows = await this.waiting('SIGNAL', req.tenantId, req.signalName, null);
    for (const row of rows) await this.trigger(row, req.variables, actor);
    return { signalKey: this.engine.nextKey(), tenantId: req.tenantId };
  }
}

/**
 * Buffered messages for subscriptions a command just opened: returns the oldest live one for each
 * (locked, marked consumed), so the caller can trigger it in the same transaction.
 */
/** Serialises buffering a message with subscriptions looking for it (same tenant, name and key). */
async function lockMessageKey(
  trx: Knex.Transaction,
  tenantId: string,
  name: string,
  correlationKey: string | null,
): Promise<void> {
  await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [
    `lifeflow-message ${JSON.stringify([tenantId, name, correlationKey])}`,
  ]);
}

export async function takeBufferedMessage(
  trx: Knex.Transaction,
  sub: { tenantId: string; name: string; correlationKey: string | null },
  processInstanceKey: string,
  now: Date,
): Promise<Record<string, unknown> | null> {
  await lockMessageKey(trx, sub.tenantId, sub.name, sub.correlationKey);
  const row = await trx('messages')
    .where({ tenant_id: sub.tenantId, name: sub.name, state: 'BUFFERED' })
    .where((w) =>
      sub.correlationKey === null
        ? w.whereNull('correlation_key')
        : w.where('correlation_key', sub.correlationKey),
    )
    .where('expires_at', '>', now)
    .orderBy('created_at')
    .forUpdate()
    .skipLocked()
    .first('message_key', 'variables');
  if (!row) return null;
  await trx('messages')
    .where({ message_key: row.message_key })
    .update({ state: 'CORRELATED', process_instance_key: processInstanceKey });
  return row.variables ?? {};
}
