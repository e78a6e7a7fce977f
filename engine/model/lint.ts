import { createRequire } from 'node:module';
import type { ModdleElement } from './moddle.js';
import type { Problem } from './types.js';
import { REJECTING_LINT_RULES } from './vocabulary.js';

const require = createRequire(import.meta.url);
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');

const resolver = new NodeResolver();

/**
 * bpmnlint's recommended rules: most are modelling style (labels, diagram interchange, implicit
 * splits) and only warn; REJECTING_LINT_RULES describe models no engine can run, so they reject.
 */
export async function lint(definitions: ModdleElement): Promise<{ errors: Problem[]; warnings: Problem[] }> {
  // A fresh Linter per model: bpmnlint caches rule instances per Linter, and some rules keep state
  // across runs (no-duplicate-sequence-flows remembers every flow it saw).
  const linter = new Linter({ config: { extends: 'bpmnlint:recommended' }, resolver });
  const reports: Record<string, Array<{ id?: string; message: string }>> = await linter.lint(definitions);
  const errors: Problem[] = [];
  const warnings: Problem[] = [];
  for (const [rule, items] of Object.entries(reports)) {
    for (const item of items) {
      const problem = { elementId: item.id ?? definitions.id ?? '', message: item.message, rule };
      (REJECTING_LINT_RULES.has(rule) ? errors : warnings).push(problem);
    }
  }
  return { errors, warnings };
}
