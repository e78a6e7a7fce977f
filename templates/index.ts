import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
