import { LifeflowCatalog } from './catalog.js';
import { LifeflowPropertiesProvider } from './provider.js';
import './texts.js';

/**
 * Lifeflow's own groups in the bpmn-js properties panel (approval, timeout & calendar, return
 * policy, linked form, rule set, notification/CC, outcome). A bpmn-js module: add it to the
 * modeler's additionalModules after the properties panel and the Camunda 8 provider. The selects
 * list the deployed forms, rule sets, working calendars and departments of the tenant in the
 * Modeler option `lifeflowProperties: { tenantId }` (an id, or a function answering the current
 * one), else of all the user's tenants.
 */
const LifeflowPropertiesProviderModule = {
  __init__: ['lifeflowPropertiesProvider'],
  lifeflowPropertiesProvider: ['type', LifeflowPropertiesProvider],
  lifeflowCatalog: ['type', LifeflowCatalog],
};
export default LifeflowPropertiesProviderModule;
