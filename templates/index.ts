import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODULE_FORMAT, MODULE_FORMAT_VERSION, type ModuleFile } from '../runtime/services/module-service.js';

const ROOT = fileURLToPath(new URL('.', import.meta.url));
const RESOURCE = /\.(bpmn|form|rules\.json)$/;

/** The lifecycle modules shipped with Lifeflow: one folder each, with BPMN, forms and rule sets. */
export function templateModules(): string[] {
  return readdirSync(ROOT)
    .filter((name) => statSync(join(ROOT, name)).isDirectory())
    .sort();
}

/** The deployable resources of one module (or of all), ready for DefinitionService.deploy. */
export function templateResources(module?: string): Array<{ name: string; content: Buffer }> {
  const modules = module ? [module] : templateModules();
  return modules.flatMap((m) =>
    readdirSync(join(ROOT, m))
      .filter((f) => RESOURCE.test(f))
      .sort()
      .map((f) => ({ name: `${m}/${f}`, content: readFileSync(join(ROOT, m, f)) })),
  );
}

/**
 * A shipped module as a module file (what `POST /v2/modules` takes): its folder's module.json
 * (id, version, names, notification templates, dashboards, settings) and the resources beside it.
 */
export function templateModuleFile(module: string): ModuleFile {
  const manifest = JSON.parse(readFileSync(join(ROOT, module, 'module.json'), 'utf8'));
  return {
    format: MODULE_FORMAT,
    formatVersion: MODULE_FORMAT_VERSION,
    notificationTemplates: [],
    dashboards: [],
    settings: {},
    requires: [],
    ...manifest,
    resources: readdirSync(join(ROOT, module))
      .filter((f) => RESOURCE.test(f))
      .sort()
      .map((f) => ({ name: f, content: readFileSync(join(ROOT, module, f), 'utf8') })),
  };
}
