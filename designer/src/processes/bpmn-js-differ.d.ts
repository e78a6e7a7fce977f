declare module 'bpmn-js-differ' {
  /** A model element read by bpmn-moddle. */
  type ModdleElement = any;

  export interface ChangedElement {
    model: ModdleElement;
    attrs: Record<string, { oldValue: unknown; newValue: unknown }>;
  }

  export interface Changes {
    _added: Record<string, ModdleElement>;
    _removed: Record<string, ModdleElement>;
    _changed: Record<string, ChangedElement>;
    _layoutChanged: Record<string, ModdleElement>;
  }

  /** The handler receives the walk over the delta and is returned (the built-in one collects Changes). */
  export function diff<H = Changes>(
    oldDefinitions: ModdleElement,
    newDefinitions: ModdleElement,
    handler?: H,
  ): H;
}
