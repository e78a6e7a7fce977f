import { extension } from '../elements/behaviour.js';
import { checkFeelSyntax, isFeel } from '../expressions/feel.js';
import { isDuration, scheduleTimer, type TimerDefinition } from '../expressions/timers.js';
import type { ModdleElement } from './moddle.js';
import type { EventDefinitionSpec } from './types.js';

/**
 * Reads the one event definition of an event element into a compiled spec, reporting what cannot
 * run. Returns undefined for none events. Multiple definitions are rejected by bpmnlint already.
 */
export function readEventDefinition(
  el: ModdleElement,
  report: (m: string) => void,
): EventDefinitionSpec | undefined {
  const def = (el.eventDefinitions ?? [])[0];
  if (!def) return undefined;
  const feel = (value: string | undefined, what: string) => {
    if (value && isFeel(value)) {
      const err = checkFeelSyntax(value);
      if (err) report(`${what} is not a valid FEEL expression: ${err}`);
    }
  };
  switch (def.$type) {
    case 'bpmn:TimerEventDefinition': {
      const pick: Array<[TimerDefinition['type'], ModdleElement]> = [
        ['date', def.timeDate],
        ['duration', def.timeDuration],
        ['cycle', def.timeCycle],
      ];
      const found = pick.filter(([, v]) => v?.body?.trim());
      if (found.length !== 1) {
        report('a timer needs exactly one of timeDate, timeDuration or timeCycle');
        return undefined;
      }
      const [type, expr] = found[0];
      const expression: string = expr.body.trim();
      if (/^[$#]\{/.test(expression))
        report(`timer '${expression}' is a JUEL expression; use ISO 8601 or FEEL (=...)`);
      feel(expression, 'the timer');
      if (!isFeel(expression) && type === 'duration' && !isDuration(expression)) {
        report(`timeDuration '${expression}' is not an ISO 8601 duration like PT10M`);
      }
      if (!isFeel(expression) && type === 'date' && Number.isNaN(new Date(expression).getTime())) {
        report(`timeDate '${expression}' is not an ISO 8601 date-time`);
      }
      if (!isFeel(expression) && type === 'cycle') {
        try {
          scheduleTimer('cycle', expression, new Date(0));
        } catch (err) {
          report(`timeCycle: ${(err as Error).message}`);
        }
      }
      return { kind: 'timer', timer: { type, expression } };
    }
    case 'bpmn:MessageEventDefinition': {
      const message = def.messageRef;
      if (!message?.name) {
        report('a message event needs a message with a name');
        return undefined;
      }
      const correlationKey: string | undefined = extension(message, 'zeebe:Subscription')?.correlationKey;
      feel(message.name, 'the message name');
      feel(correlationKey, 'the correlation key');
      return { kind: 'message', messageName: message.name, correlationKey };
    }
    case 'bpmn:SignalEventDefinition': {
      const name: string | undefined = def.signalRef?.name;
      if (!name) {
        report('a signal event needs a signal with a name');
        return undefined;
      }
      feel(name, 'the signal name');
      return { kind: 'signal', signalName: name };
    }
    case 'bpmn:ErrorEventDefinition':
      return {
        kind: 'error',
        errorCode: def.errorRef?.errorCode || undefined,
        errorName: def.errorRef?.name,
      };
    case 'bpmn:EscalationEventDefinition':
      return { kind: 'escalation', escalationCode: def.escalationRef?.escalationCode || undefined };
    case 'bpmn:LinkEventDefinition':
      if (!def.name) report('a link event needs a name');
      return { kind: 'link', linkName: def.name ?? '' };
    case 'bpmn:TerminateEventDefinition':
      return { kind: 'terminate' };
    case 'bpmn:CompensateEventDefinition':
      report('compensation is not supported; remove the compensation event');
      return undefined;
    default: {
      const kind = String(def.$type).replace('bpmn:', '').replace('EventDefinition', '').toLowerCase();
      report(`${kind} events are not supported`);
      return undefined;
    }
  }
}
