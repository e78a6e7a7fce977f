/**
 * Lifeflow's own groups in the bpmn-js properties panel (approval, timeout, return policy,
 * notifications/CC, linked rule set, outcome). A bpmn-js module: add it to the modeler's
 * additionalModules. (Filled in by the work on the panel groups.)
 */
const LifeflowPropertiesProviderModule = {};
export default LifeflowPropertiesProviderModule;
