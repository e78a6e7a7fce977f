/** @bpmn-io/properties-panel ships no types (its preact re-export does). */
declare module '@bpmn-io/properties-panel';
