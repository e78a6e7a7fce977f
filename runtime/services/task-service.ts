import type { Knex } from 'knex';
import { type InstanceState, visibleVariables } from '../../engine/index.js';
import { requireMayAssign, requireMayComplete } from '../auth/permissions.js';
import { validateForm } from '../forms/validate-form.js';
import { badRequest } from '../http/problem.js';
import type { DefinitionService } from './definitions.js';
import type { Actor, EngineService } from './engine-service.js';

/**
 * User task operations with their rules: who may act, and server-side form validation against the
 * form version linked to the task, with the variables the task sees. Every caller (HTTP, bench,
 * later the approvals module) goes through here, so no path skips a check.
 */
export class TaskService {
  constructor(
    private readonly engine: EngineService,
    private readonly definitions: DefinitionService,
  ) {}

  /** The open task in a loaded state, or undefined (then the engine's decision says why). */
  private openTask(state: InstanceState, userTaskKey: string) {
    const task = state.userTasks.get(userTaskKey);
    return task && task.state === 'CREATED' && state.instance.state === 'ACTIVE' ? task : undefined;
  }

  complete(userTaskKey: string, variables: Record<string, unknown>, actor: Actor): Promise<InstanceState> {
    const command = { type: 'task.complete' as const, userTaskKey, variables };
    return this.engine.execute(command, actor, {
      check: async (state, trx) => {
        const task = this.openTask(state, userTaskKey);
        if (!task) return;
        requireMayComplete(task, actor);
        const schema = task.formKey
          ? (await this.definitions.getForm(task.formKey, trx))?.schema
          : task.embeddedForm;
        if (!schema) return;
        const result = validateForm(
          schema as any,
          variables,
          visibleVariables(state, task.elementInstanceKey),
        );
        if (result.errors.length) {
          throw badRequest(
            `the submitted data does not satisfy the form: ${result.errors.map((e) => `${e.field} ${e.reason}`).join('; ')}`,
            result.errors.map((e) => ({ field: `variables.${e.field}`, reason: e.reason })),
          );
        }
        // Hidden and read-only fields are dropped: only what the form lets a person enter is stored.
        command.variables = result.data;
      },
    });
  }

  assign(
    userTaskKey: string,
    assignee: string,
    allowOverride: boolean,
    actor: Actor,
  ): Promise<InstanceState> {
    return this.engine.execute({ type: 'task.assign', userTaskKey, assignee, allowOverride }, actor, {
      check: async (state, trx) => {
        const task = this.openTask(state, userTaskKey);
        if (!task) return;
        requireMayAssign(task, actor, assignee);
        if (!(await isTenantMember(trx, assignee, state.instance.tenantId))) {
          throw badRequest(
            `expected assignee <${assignee}> to be a user of tenant <${state.instance.tenantId}>`,
            [{ field: 'assignee', reason: 'is not a user of the task’s tenant' }],
          );
        }
      },
    });
  }

  unassign(userTaskKey: string, actor: Actor): Promise<InstanceState> {
    return this.engine.execute({ type: 'task.unassign', userTaskKey }, actor, {
      check: (state) => {
        const task = this.openTask(state, userTaskKey);
        if (task) requireMayAssign(task, actor, null);
      },
    });
  }
}

/** Whether a user (enabled) belongs to a tenant, directly or through a group. */
async function isTenantMember(trx: Knex, username: string, tenantId: string): Promise<boolean> {
  const row = await trx('users as u')
    .where({ 'u.username': username, 'u.enabled': true })
    .whereExists((q) =>
      q
        .select(trx.raw('1'))
        .from('memberships as m')
        .where({ 'm.container_type': 'TENANT', 'm.container_id': tenantId })
        .where((w) =>
          w
            .where((d) => d.where('m.member_type', 'USER').whereRaw('m.member_id = u.username'))
            .orWhere((g) =>
              g
                .where('m.member_type', 'GROUP')
                .whereIn(
                  'm.member_id',
                  trx('memberships')
                    .select('container_id')
                    .where({ container_type: 'GROUP', member_type: 'USER', member_id: username }),
                ),
            ),
        ),
    )
    .first('u.username');
  return !!row;
}
