import { getBusinessObject, is } from 'bpmn-js/lib/util/ModelUtil';

/**
 * Reading and writing the extension elements of a diagram element (lf:*, zeebe:*). Every write is
 * one `properties-panel.multi-command-executor` command made of `element.updateModdleProperties`
 * steps, so one change in the panel is one undo step.
 */

export type ModdleElement = any;
export type DiagramElement = any;
export interface Injector {
  get(name: string, strict?: boolean): any;
}
type Attrs = Record<string, string | undefined>;

interface Command {
  cmd: string;
  context: Record<string, unknown>;
}

/** The extension element of the given type (e.g. `lf:Approval`), if the element has one. */
export function getExtension(element: DiagramElement, type: string): ModdleElement | undefined {
  const values: ModdleElement[] = getBusinessObject(element).get('extensionElements')?.get('values') ?? [];
  return values.find((v) => is(v, type));
}

/** An attribute of the extension element of the given type ('' when missing). */
export function getAttr(element: DiagramElement, type: string, attr: string): string {
  return getExtension(element, type)?.get(attr) ?? '';
}

/** The zeebe:TaskHeaders header of that key ('' when missing). */
export function getHeader(element: DiagramElement, key: string): string {
  const headers: ModdleElement[] = getExtension(element, 'zeebe:TaskHeaders')?.get('values') ?? [];
  return headers.find((h) => h.get('key') === key)?.get('value') ?? '';
}

const clean = (attrs: Attrs) =>
  Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== undefined && v !== ''));

/** An empty text stands for "not set": the attribute is removed. */
const orUndefined = (attrs: Attrs) =>
  Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, v === '' ? undefined : v]));

/** Collects the steps of one change to an element's extension elements, then runs them as one command. */
export class Change {
  private readonly cmds: Command[] = [];
  private readonly bo: ModdleElement;
  private extensionElements: ModdleElement | undefined;
  private values: ModdleElement[] | undefined;
  private readonly created = new Set<ModdleElement>();
  /** The headers of zeebe:TaskHeaders as this change leaves them. */
  private headers: { th: ModdleElement; values: ModdleElement[] } | undefined;

  constructor(
    private readonly injector: Injector,
    private readonly element: DiagramElement,
  ) {
    this.bo = getBusinessObject(element);
  }

  private update(moddleElement: ModdleElement, properties: Record<string, unknown>) {
    this.cmds.push({
      cmd: 'element.updateModdleProperties',
      context: { element: this.element, moddleElement, properties },
    });
  }

  private create(type: string, attrs: Record<string, unknown>, parent: ModdleElement): ModdleElement {
    const el = this.injector.get('bpmnFactory').create(type, attrs);
    el.$parent = parent;
    this.created.add(el);
    return el;
  }

  private list(): ModdleElement[] {
    if (!this.values) {
      let ext = this.bo.get('extensionElements');
      if (!ext) {
        ext = this.create('bpmn:ExtensionElements', { values: [] }, this.bo);
        this.update(this.bo, { extensionElements: ext });
      }
      this.extensionElements = ext;
      this.values = [...(ext.get('values') ?? [])];
    }
    return this.values!;
  }

  find(type: string): ModdleElement | undefined {
    const values: ModdleElement[] = this.values ?? this.bo.get('extensionElements')?.get('values') ?? [];
    return values.find((v) => is(v, type));
  }

  /** Sets attributes of the extension element of that type, creating it when missing ('' or undefined removes one). */
  set(type: string, attrs: Attrs): ModdleElement {
    const existing = this.find(type);
    if (!existing) {
      const el = this.create(type, clean(attrs), this.extensionElementsOf());
      this.list().push(el);
      return el;
    }
    if (this.created.has(existing)) {
      for (const [k, v] of Object.entries(orUndefined(attrs))) existing.set(k, v);
    } else {
      this.update(existing, orUndefined(attrs));
    }
    return existing;
  }

  private extensionElementsOf(): ModdleElement {
    this.list();
    return this.extensionElements;
  }

  /** Removes the extension elements of that type. */
  remove(type: string): this {
    if (!this.find(type)) return this;
    this.values = this.list().filter((v) => !is(v, type));
    return this;
  }

  /** Sets (or, with '', removes) a zeebe:TaskHeaders header. */
  header(key: string, value: string): this {
    const found = this.find('zeebe:TaskHeaders');
    if (!found && !value) return this;
    const th = found ?? this.set('zeebe:TaskHeaders', {});
    if (this.headers?.th !== th) this.headers = { th, values: [...(th.get('values') ?? [])] };
    const current = this.headers!.values;
    const i = current.findIndex((h) => h.get('key') === key);
    if (!value) {
      if (i >= 0) current.splice(i, 1);
    } else if (i < 0) {
      current.push(this.create('zeebe:Header', { key, value }, th));
    } else if (this.created.has(current[i])) {
      current[i].set('value', value);
    } else {
      this.update(current[i], { value });
    }
    return this;
  }

  /** Sets properties of the business object itself (e.g. loopCharacteristics: undefined). */
  own(properties: Record<string, unknown>): this {
    this.update(this.bo, properties);
    return this;
  }

  run(): void {
    if (this.headers) {
      const { th, values } = this.headers;
      const before: ModdleElement[] = th.get('values') ?? [];
      // No headers left: no empty zeebe:taskHeaders either.
      if (!values.length) this.remove('zeebe:TaskHeaders');
      else if (this.created.has(th)) th.set('values', values);
      else if (before.length !== values.length || before.some((v, i) => v !== values[i]))
        this.update(th, { values });
    }
    const cmds = [...this.cmds];
    if (this.values && this.extensionElements) {
      const before: ModdleElement[] = this.extensionElements.get('values') ?? [];
      const changed =
        this.created.has(this.extensionElements) ||
        before.length !== this.values.length ||
        before.some((v, i) => v !== this.values![i]);
      if (changed) {
        if (this.created.has(this.extensionElements)) this.extensionElements.set('values', this.values);
        else
          cmds.push({
            cmd: 'element.updateModdleProperties',
            context: {
              element: this.element,
              moddleElement: this.extensionElements,
              properties: { values: this.values },
            },
          });
      }
    }
    if (cmds.length)
      this.injector.get('commandStack').execute('properties-panel.multi-command-executor', cmds);
  }
}

/** Runs one change of an element. */
export function change(injector: Injector, element: DiagramElement, build: (c: Change) => void): void {
  const c = new Change(injector, element);
  build(c);
  c.run();
}
