import type { EngineEvent } from './events.js';
import type { InstanceState } from './types.js';

type Appliers = {
  [K in EngineEvent['type']]: (state: InstanceState, event: Extract<EngineEvent, { type: K }>) => void;
};

const appliers: Appliers = {
  'instance.created': (s, e) => {
    s.instance = { ...e.instance };
  },
  'instance.completed': (s, e) => {
    s.instance.state = 'COMPLETED';
    s.instance.endDate = e.endDate;
  },
  'instance.terminated': (s, e) => {
    s.instance.state = 'TERMINATED';
    s.instance.endDate = e.endDate;
  },
  'instance.runtime_updated': (s, e) => {
    s.instance.runtime = e.runtime;
  },
  'element.activated': (s, e) => {
    s.elements.set(e.element.elementInstanceKey, { ...e.element });
  },
  'element.completed': (s, e) => {
    const el = s.elements.get(e.elementInstanceKey);
    if (el) {
      el.state = 'COMPLETED';
      el.endDate = e.endDate;
    }
  },
  'element.terminated': (s, e) => {
    const el = s.elements.get(e.elementInstanceKey);
    if (el) {
      el.state = 'TERMINATED';
      el.endDate = e.endDate;
    }
  },
  'flow.taken': () => {},
  'call.requested': () => {},
  'call.terminated': () => {},
  'call.error_thrown': () => {},
  'call.escalation_thrown': () => {},
  'approval.completed': () => {},
  'task.returned': () => {},
  'task.taken_back': () => {},
  'instance.modified': () => {},
  'approval.signers_changed': () => {},
  'approval.routed': () => {},
  'task.reminded': () => {},
  'task.timed_out': () => {},
  'task.delegated': (s, e) => {
    const t = s.userTasks.get(e.userTaskKey);
    if (t) Object.assign(t, { owner: e.owner, assignee: e.delegate, delegationState: 'PENDING' });
  },
  'task.resolved': (s, e) => {
    const t = s.userTasks.get(e.userTaskKey);
    if (t) Object.assign(t, { assignee: e.owner, delegationState: 'RESOLVED' });
  },
  'variable.set': (s, e) => {
    let scope = s.variables.get(e.scopeKey);
    if (!scope) {
      scope = new Map();
      s.variables.set(e.scopeKey, scope);
    }
    scope.set(e.name, { variableKey: e.variableKey, scopeKey: e.scopeKey, name: e.name, value: e.value });
  },
  'task.created': (s, e) => {
    s.userTasks.set(e.task.userTaskKey, { ...e.task });
  },
  'task.assigned': (s, e) => {
    const t = s.userTasks.get(e.userTaskKey);
    if (t) t.assignee = e.assignee;
  },
  'task.completed': (s, e) => {
    const t = s.userTasks.get(e.userTaskKey);
    if (t) {
      t.state = 'COMPLETED';
      t.completionDate = e.completionDate;
    }
  },
  'task.canceled': (s, e) => {
    const t = s.userTasks.get(e.userTaskKey);
    if (t) {
      t.state = 'CANCELED';
      t.completionDate = e.completionDate;
    }
  },
  'job.created': (s, e) => {
    s.jobs.set(e.job.jobKey, { ...e.job });
  },
  'job.completed': (s, e) => {
    const j = s.jobs.get(e.jobKey);
    if (j) j.state = 'COMPLETED';
  },
  'job.failed': (s, e) => {
    const j = s.jobs.get(e.jobKey);
    if (j) {
      j.state = e.retries > 0 ? 'CREATED' : 'FAILED';
      j.retries = e.retries;
      j.errorMessage = e.errorMessage;
      j.dueAt = e.dueAt;
      j.worker = null;
      j.deadline = null;
    }
  },
  'job.error_thrown': (s, e) => {
    const j = s.jobs.get(e.jobKey);
    if (j) {
      j.state = 'ERROR_THROWN';
      j.errorCode = e.errorCode;
      j.errorMessage = e.errorMessage;
    }
  },
  'job.canceled': (s, e) => {
    const j = s.jobs.get(e.jobKey);
    if (j) j.state = 'CANCELED';
  },
  'job.retries_updated': (s, e) => {
    const j = s.jobs.get(e.jobKey);
    if (j) {
      j.retries = e.retries;
      if (j.state === 'FAILED' && e.retries > 0) j.state = 'CREATED';
    }
  },
  'incident.created': (s, e) => {
    s.incidents.set(e.incident.incidentKey, { ...e.incident });
    s.instance.hasIncident = true;
    const el = s.elements.get(e.incident.elementInstanceKey);
    if (el) el.incidentKey = e.incident.incidentKey;
  },
  'subscription.opened': (s, e) => {
    s.subscriptions.set(e.subscription.subscriptionKey, { ...e.subscription });
  },
  'subscription.closed': (s, e) => {
    const sub = s.subscriptions.get(e.subscriptionKey);
    if (sub) sub.state = 'CLOSED';
  },
  'incident.resolved': (s, e) => {
    const inc = s.incidents.get(e.incidentKey);
    if (inc) {
      inc.state = 'RESOLVED';
      const el = s.elements.get(inc.elementInstanceKey);
      if (el && el.incidentKey === e.incidentKey) el.incidentKey = null;
    }
    s.instance.hasIncident = [...s.incidents.values()].some((i) => i.state === 'ACTIVE');
  },
};

/** Folds one event into the state. Pure bookkeeping: no decisions are made here. */
export function apply(state: InstanceState, event: EngineEvent): InstanceState {
  (appliers[event.type] as (s: InstanceState, e: EngineEvent) => void)(state, event);
  return state;
}
