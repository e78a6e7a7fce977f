import type { ElementBehaviour } from './behaviour.js';
import { businessRuleTaskBehaviour } from './business-rule-task.js';
import { callActivityBehaviour } from './call-activity.js';
import {
  boundaryEventBehaviour,
  endEventBehaviour,
  eventBasedGatewayBehaviour,
  receiveTaskBehaviour,
  intermediateCatchEventBehaviour,
  intermediateThrowEventBehaviour,
  startEventBehaviour,
} from './events.js';
import {
  exclusiveGatewayBehaviour,
  inclusiveGatewayBehaviour,
  parallelGatewayBehaviour,
} from './gateways.js';
import { jobTaskBehaviour } from './job-task.js';
import { passThroughTaskBehaviour } from './pass-through-tasks.js';
import { processBehaviour } from './process.js';
import { scriptTaskBehaviour } from './script-task.js';
import { subProcessBehaviour } from './sub-process.js';
import { userTaskBehaviour } from './user-task.js';

/** One line per behaviour: adding an element type means adding its behaviour here. */
const behaviours: ElementBehaviour[] = [
  processBehaviour,
  subProcessBehaviour,
  startEventBehaviour,
  endEventBehaviour,
  intermediateThrowEventBehaviour,
  intermediateCatchEventBehaviour,
  boundaryEventBehaviour,
  receiveTaskBehaviour,
  eventBasedGatewayBehaviour,
  passThroughTaskBehaviour,
  callActivityBehaviour,
  userTaskBehaviour,
  jobTaskBehaviour,
  scriptTaskBehaviour,
  businessRuleTaskBehaviour,
  exclusiveGatewayBehaviour,
  parallelGatewayBehaviour,
  inclusiveGatewayBehaviour,
];

const byType = new Map<string, ElementBehaviour>();
for (const b of behaviours) for (const t of b.types) byType.set(t, b);

export function behaviourFor(type: string): ElementBehaviour {
  const b = byType.get(type);
  if (!b) throw new Error(`no behaviour registered for ${type}`);
  return b;
}

export function isSupportedType(type: string): boolean {
  return byType.has(type);
}
