/** Type stubs for the bpmn-io packages the modeler uses that ship no types of their own. */
declare module 'bpmn-js-properties-panel' {
  export const BpmnPropertiesPanelModule: any;
  export const BpmnPropertiesProviderModule: any;
  export const ZeebePropertiesProviderModule: any;
  export function useService(name: string, strict?: boolean): any;
}
declare module 'bpmn-js-bpmnlint' {
  const lintModule: any;
  export default lintModule;
}
declare module 'camunda-bpmn-js-behaviors/lib/camunda-cloud' {
  const behaviors: any;
  export default behaviors;
}
declare module 'bpmnlint/rules/*' {
  const rule: any;
  export default rule;
}
