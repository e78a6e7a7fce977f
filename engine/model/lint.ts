import { createRequire } from 'node:module';
import type { ModdleElement } from './moddle.js';
import type { Problem } from './types.js';

const require = createRequire(import.meta.url);
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');

/**
 * bpmnlint's recommended rules. Most are modelling style (labels, diagram interchange, implicit
 * splits) and only warn; the ones below describe models no engine can run, so they reject.
 */
const REJECTING_RULES = new Set([
  'start-event-required',
  'single-blank-start-event',
  'single-event-definition',
  'sub-process-blank-start-event',
  'event-based-gateway',
  'link-event',
  'no-complex-gateway',
  'no-duplicate-sequence-flows',
  'ad-hoc-sub-process',
  'event-sub-process-typed-start-event',
]);

const resolver = new NodeResolver();

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
      (REJECTING_RULES.has(rule) ? errors : warnings).push(problem);
    }
  }
  return { errors, warnings };
}
