/**
 * Every third-party model (MIWG, bpmn-js, Camunda Modeler fixtures; see each SOURCES.txt in
 * ../shared/conformance) deployed through the REST API: it is accepted or rejected with a
 * problem+json naming each problem, and the server keeps answering.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/test-runtime.js';

const CONFORMANCE =
  process.env.LIFEFLOW_CONFORMANCE_DIR ??
  fileURLToPath(new URL('../../../shared/conformance/', import.meta.url));
const available = existsSync(join(CONFORMANCE, 'camunda/SOURCES.txt'));
// In CI the material must be there: a silent skip would hide a broken checkout.
if (!available && process.env.CI) throw new Error(`conformance material not found under ${CONFORMANCE}`);

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
}

const files = available
  ? ['miwg/reference', 'miwg/bpmn-io-roundtrip', 'bpmn-js/bpmn', 'camunda']
      .flatMap((r) => walk(join(CONFORMANCE, r)))
      .filter((f) => f.endsWith('.bpmn'))
  : [];

let t: TestRuntime;
beforeAll(async () => {
  t = await startTestRuntime();
});
afterAll(async () => {
  await t?.close();
});

describe.skipIf(!available)('deploying third-party models over HTTP', () => {
  it(`accepts or cleanly rejects all ${files.length} models, and the server stays up`, async () => {
    const outcomes = { accepted: 0, rejected: 0 };
    for (const file of files) {
      const name = file.slice(CONFORMANCE.length).replace(/^\//, '').replace(/\//g, '__');
      const res = await t.deploy([{ name, content: readFileSync(file, 'utf8') }]);
      expect([200, 400], `${name}: ${res.text.slice(0, 300)}`).toContain(res.status);
      if (res.status === 200) {
        outcomes.accepted++;
        expect(res.body.deployments.length).toBeGreaterThan(0);
      } else {
        outcomes.rejected++;
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(res.body.errors.length, name).toBeGreaterThan(0);
        for (const e of res.body.errors) {
          expect(e.field.startsWith(name), name).toBe(true);
          expect(e.reason.length, name).toBeGreaterThan(0);
        }
      }
    }
    console.log(
      `third-party models over HTTP: ${outcomes.accepted} deployed, ${outcomes.rejected} rejected with reasons`,
    );
    expect(outcomes.accepted).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(0);
    const health = await fetch(`${t.baseUrl}/healthz`);
    expect(health.status).toBe(200);
  }, 120_000);

  it('runs the Camunda Modeler user-task-with-form model: a missing form is an incident until it is deployed', async () => {
    const bpmn = readFileSync(join(CONFORMANCE, 'camunda/camunda-modeler/e2e__user-task-form.bpmn'), 'utf8');
    const res = await t.deploy([{ name: 'user-task-form.bpmn', content: bpmn }]);
    expect(res.status).toBe(200);
    const processDefinitionId = res.body.deployments[0].processDefinition.processDefinitionId;
    const start = await t.api('POST', '/v2/process-instances', { processDefinitionId });
    expect(start.status).toBe(200);
    const key = start.body.processInstanceKey;
    const incidents = await t.api('POST', '/v2/incidents/search', { filter: { processInstanceKey: key } });
    expect(incidents.body.items).toHaveLength(1);
    expect(incidents.body.items[0]).toMatchObject({ errorType: 'FORM_NOT_FOUND', state: 'ACTIVE' });
    expect(incidents.body.items[0].errorMessage).toContain('<invoice-form>');
    expect(
      (await t.api('POST', '/v2/user-tasks/search', { filter: { processInstanceKey: key } })).body.items,
    ).toEqual([]);

    const form = {
      id: 'invoice-form',
      components: [{ type: 'textfield', key: 'invoiceNo', label: '发票号', validate: { required: true } }],
    };
    expect((await t.deploy([{ name: 'invoice.form', content: JSON.stringify(form) }])).status).toBe(200);
    expect(
      (await t.api('POST', `/v2/incidents/${incidents.body.items[0].incidentKey}/resolution`)).status,
    ).toBe(204);
    const tasks = await t.api('POST', '/v2/user-tasks/search', { filter: { processInstanceKey: key } });
    expect(tasks.body.items).toHaveLength(1);
    const formRes = await t.api('GET', `/v2/user-tasks/${tasks.body.items[0].userTaskKey}/form`);
    expect(JSON.parse(formRes.body.schema).id).toBe('invoice-form');
    const bad = await t.complete(tasks.body.items[0]);
    expect(bad.body.errors).toEqual([{ field: 'variables.invoiceNo', reason: 'is required' }]);
  });
});
