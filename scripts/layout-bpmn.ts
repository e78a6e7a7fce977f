/**
 * Adds diagram interchange (shapes and edges) to a BPMN file that has none, so the designer can
 * show it: `npx tsx scripts/layout-bpmn.ts in.bpmn out.bpmn`. Used for the templates, which are
 * written as plain XML first.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { layoutProcess } from 'bpmn-auto-layout';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: tsx scripts/layout-bpmn.ts <in.bpmn> <out.bpmn>');
  process.exit(2);
}
const laidOut = await layoutProcess(readFileSync(input, 'utf8'));
writeFileSync(output, laidOut);
console.log(`wrote ${output}`);
