import { type ChangedElement, type Changes, diff } from 'bpmn-js-differ';

export type ChangeKind = 'added' | 'removed' | 'changed' | 'layout';

export const KINDS: ChangeKind[] = ['added', 'removed', 'changed', 'layout'];

/** The marker class of a kind of change (on the diagram elements). */
export const markerOf = (kind: ChangeKind) => `lf-diff-${kind}`;

export interface AttrChange {
  name: string;
  oldValue: string;
  newValue: string;
}

/** One row of the change table. */
export interface ChangeRow {
  key: string;
  id: string;
  name: string;
  type: string;
  kind: ChangeKind;
  attrs: AttrChange[];
}

const EMPTY = '';

/** A short text for a value the differ reports: primitives as they are, model elements by id/body. */
export function describeValue(v: unknown, depth = 0): string {
  if (v === undefined || v === null) return EMPTY;
  if (typeof v === 'string') return v.replace(/^#ref:/, '');
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return v.map((x) => describeValue(x, depth + 1)).join(', ');
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.body === 'string') return o.body;
    if (typeof o.id === 'string') return o.id;
    const type = typeof o.$type === 'string' ? o.$type : '';
    if (depth < 4 && type) {
      // an extension element: its attributes and children (zeebe:TaskDefinition(type=…))
      const attrs = Object.entries(o)
        .filter(([k, x]) => !k.startsWith('$') && x !== undefined && x !== null && typeof x !== 'function')
        .map(([k, x]) => {
          const text =
            Array.isArray(x) || typeof x === 'object' ? `[${describeValue(x, depth + 1)}]` : describeValue(x);
          return k === 'values' && Array.isArray(x) ? text : `${k}=${text}`;
        });
      return attrs.length > 0 ? `${type}(${attrs.join(', ')})` : type;
    }
    return type || '…';
  }
  return String(v);
}

const typeOf = (model: any) => String(model?.$type ?? '').replace(/^bpmn:/, '');
const nameOf = (model: any) => (typeof model?.name === 'string' ? model.name : '');

const is = (el: any, type: string) => typeof el?.$instanceOf === 'function' && el.$instanceOf(type);
const isDi = (el: any) => is(el, 'bpmndi:BPMNEdge') || is(el, 'bpmndi:BPMNShape');
const TRACKED = [
  'bpmn:Participant',
  'bpmn:Collaboration',
  'bpmn:FlowElement',
  'bpmn:MessageFlow',
  'bpmn:Lane',
  'bpmn:DataAssociation',
];

/** The element a change is shown on (as bpmn-js-differ does: a process is shown by its participant). */
function trackedOf(el: any): { element: any; prefix: string } | undefined {
  if (!el || is(el, 'bpmn:DataObject')) return undefined;
  if (is(el, 'bpmn:Process')) {
    const collaboration = el.$parent?.rootElements?.find((r: any) => is(r, 'bpmn:Collaboration'));
    if (!collaboration) return { element: el, prefix: '' };
    const participant = collaboration.participants?.find((p: any) => p.processRef === el);
    return participant ? { element: participant, prefix: 'processRef.' } : undefined;
  }
  return TRACKED.some((t) => is(el, t)) ? { element: el, prefix: '' } : undefined;
}

/** Where a nested model element sits in its parent (`extensionElements`, `values[0]`). */
function propertyPath(parent: any, child: any): string {
  for (const key of Object.keys(parent)) {
    if (key.startsWith('$')) continue;
    const v = parent[key];
    if (v === child) return key;
    if (Array.isArray(v) && v.includes(child)) return `${key}[${v.indexOf(child)}]`;
  }
  return '?';
}

/**
 * What changed, collected from the walk of bpmn-js-differ's `diff(a, b, handler)`. Unlike the
 * differ's own handler, this one gives attribute changes in the right order (old → new; the
 * differ's handler swaps them for plain values), merges the removal and the addition at one index
 * into one change, and reports changes inside nested elements (extension elements, conditions) on
 * the element they belong to, with the path (`extensionElements.values[0].type`).
 */
export class ChangeCollector implements Changes {
  _added: Record<string, any> = {};
  _removed: Record<string, any> = {};
  _changed: Record<string, ChangedElement> = {};
  _layoutChanged: Record<string, any> = {};

  /** The tracked (or DI) element holding `model`, and the property path from it. */
  private owner(model: any, property: string): { element: any; path: string; di: boolean } | undefined {
    let m = model;
    let path = property;
    for (let depth = 0; m && depth < 20; depth++) {
      if (isDi(m)) return { element: m.bpmnElement, path, di: true };
      const tracked = trackedOf(m);
      if (tracked) return { element: tracked.element, path: tracked.prefix + path, di: false };
      const parent = m.$parent;
      if (!parent) return undefined;
      path = `${propertyPath(parent, m)}.${path}`;
      m = parent;
    }
    return undefined;
  }

  private record(model: any, property: string, oldValue: unknown, newValue: unknown): void {
    const owner = this.owner(model, property);
    if (!owner?.element?.id) return;
    const id = owner.element.id;
    if (owner.di) {
      this._layoutChanged[id] = owner.element;
      return;
    }
    this._changed[id] ??= { model: owner.element, attrs: {} };
    const changed = this._changed[id];
    if (oldValue === undefined && newValue === undefined) return;
    const before = changed.attrs[owner.path];
    changed.attrs[owner.path] = {
      oldValue: before?.oldValue ?? oldValue,
      newValue: before?.newValue ?? newValue,
    };
  }

  added(model: any, property: string, element: any, idx: number): void {
    const tracked = trackedOf(element);
    if (tracked) this._added[tracked.element.id] ??= element;
    else if (isDi(model) && property === 'waypoint')
      this._layoutChanged[model.bpmnElement?.id] = model.bpmnElement;
    else this.record(model, `${property}[${idx}]`, null, element);
  }

  removed(model: any, property: string, element: any, idx: number): void {
    const tracked = trackedOf(element);
    if (tracked) this._removed[tracked.element.id] ??= element;
    else if (isDi(model) && property === 'waypoint')
      this._layoutChanged[model.bpmnElement?.id] = model.bpmnElement;
    else this.record(model, `${property}[${idx}]`, element, null);
  }

  /** Called by the differ's walk with the delta's values: old first, then new. */
  changed(model: any, property: string, oldValue?: unknown, newValue?: unknown): void {
    this.record(model, property, oldValue, newValue);
  }

  moved(): void {}
}

/** The differences between two definitions (old, new). */
export function diffDefinitions(oldDefinitions: any, newDefinitions: any): Changes {
  return diff(oldDefinitions, newDefinitions, new ChangeCollector());
}

/**
 * The rows of the change table, by kind (added, removed, changed, layout) and element id. An
 * element whose attributes changed and that moved is listed once as changed and once as moved.
 */
export function changeRows(changes: Changes): ChangeRow[] {
  const rows: ChangeRow[] = [];
  const add = (kind: ChangeKind, id: string, model: any, attrs: AttrChange[] = []) =>
    rows.push({ key: `${kind}:${id}`, id, name: nameOf(model), type: typeOf(model), kind, attrs });
  for (const [id, model] of Object.entries(changes._added)) add('added', id, model);
  for (const [id, model] of Object.entries(changes._removed)) add('removed', id, model);
  for (const [id, c] of Object.entries(changes._changed)) {
    const attrs = Object.entries(c.attrs).map(([name, a]) => ({
      name,
      oldValue: describeValue(a.oldValue),
      newValue: describeValue(a.newValue),
    }));
    add('changed', id, c.model, attrs);
  }
  for (const [id, model] of Object.entries(changes._layoutChanged)) add('layout', id, model);
  const order = (k: ChangeKind) => KINDS.indexOf(k);
  return rows.sort((a, b) => order(a.kind) - order(b.kind) || a.id.localeCompare(b.id));
}
