/**
 * The modeler opens the BPMN files of other tools as they are: the OMG MIWG reference models
 * (../shared/conformance/miwg, CC BY 3.0, see its SOURCES.txt) and the Camunda Modeler's own
 * fixtures (../shared/conformance/camunda/camunda-modeler, MIT). Each file is opened through the
 * modeler's file input: every diagram shape is drawn, and the exported XML keeps every element
 * (same ids and types). The files broken on purpose show an error or warnings instead.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BpmnModdle } from 'bpmn-moddle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import zeebeDescriptor from 'zeebe-bpmn-moddle/resources/zeebe.json' with { type: 'json' };
import lifeflowDescriptor from '../../engine/model/lifeflow-moddle.json' with { type: 'json' };
import { type BrowserApp, hasChromium, startBrowserApp } from './browser.js';

const CONFORMANCE = fileURLToPath(new URL('../../../shared/conformance/', import.meta.url));
const MIWG = path.join(CONFORMANCE, 'miwg/reference');
const CAMUNDA = path.join(CONFORMANCE, 'camunda/camunda-modeler');

const bpmnFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.bpmn'))
    .sort()
    .map((f) => path.join(dir, f));

/** Malformed on purpose: the modeler shows the import error (or warnings), no diagram. */
const BROKEN = new Set(['app-test__broken.bpmn', 'app-test__illegal-whitespace.bpmn']);
/** Import warnings are expected (unresolved references and the like). */
const WARNS = new Set(['app-test__import-warnings.bpmn', 'diagram__xss.bpmn']);

const moddle = () => new BpmnModdle({ zeebe: zeebeDescriptor, lf: lifeflowDescriptor } as any);

const SUBPROCESS = new Set(['bpmn:SubProcess', 'bpmn:AdHocSubProcess', 'bpmn:Transaction']);

/** The process an element belongs to (through sub-processes, lane sets, …). */
function processOf(e: any): any {
  let p = e;
  while (p && p.$type !== 'bpmn:Process') p = p.$parent;
  return p;
}

/**
 * What bpmn-js draws of a file: the shapes of its first diagram and of the planes of its
 * collapsed sub-processes (drill-down), each shape once, when it refers to an element. On a
 * collaboration it draws only the processes of participants: the elements of a process no pool
 * shows (MIWG B.1.0/B.2.0 have one) are kept in the model and exported, but not drawn, unless
 * that process has lanes (bpmn-js BpmnTreeWalker handleUnhandledProcesses).
 */
function expectedShapes(definitions: any): number {
  const diagrams: any[] = definitions.diagrams ?? [];
  const shapes = new Set<string>();
  diagrams.forEach((d, i) => {
    const planeOf = d.plane?.bpmnElement;
    if (i > 0 && !(planeOf && SUBPROCESS.has(planeOf.$type))) return;
    const pooled =
      planeOf?.$type === 'bpmn:Collaboration'
        ? new Set([
            ...(planeOf.participants ?? []).map((p: any) => p.processRef).filter(Boolean),
            // bpmn-js draws a process outside any pool only when it has lanes ("free-floating lanes")
            ...(definitions.rootElements ?? []).filter((r: any) => r.$type === 'bpmn:Process' && r.laneSets),
          ])
        : undefined;
    for (const e of d.plane?.planeElement ?? []) {
      if (e.$type !== 'bpmndi:BPMNShape' || !e.bpmnElement) continue;
      const owner = processOf(e.bpmnElement);
      if (pooled && owner && !pooled.has(owner)) continue;
      shapes.add(e.bpmnElement.id);
    }
  });
  return shapes.size;
}

/** `id type` of every root element, participant, lane, flow element and artifact. */
function elementsOf(definitions: any): string[] {
  const out = new Set<string>();
  const add = (e: any) => e?.id && out.add(`${e.id} ${e.$type}`);
  const walk = (container: any) => {
    for (const e of container.flowElements ?? []) {
      add(e);
      if (e.flowElements) walk(e);
    }
    for (const a of container.artifacts ?? []) add(a);
    for (const ls of container.laneSets ?? []) for (const l of ls.lanes ?? []) add(l);
  };
  for (const r of definitions.rootElements ?? []) {
    add(r);
    walk(r);
    for (const p of r.participants ?? []) add(p);
    for (const m of r.messageFlows ?? []) add(m);
  }
  return [...out].sort();
}

describe.skipIf(!hasChromium)('opening BPMN files of other tools', () => {
  let app: BrowserApp;
  beforeAll(async () => {
    app = await startBrowserApp();
  }, 60_000);
  afterAll(async () => app?.close());

  it('draws every shape of each file and exports every element again', { timeout: 240_000 }, async () => {
    const files = [...bpmnFiles(MIWG), ...bpmnFiles(CAMUNDA)];
    expect(files.length).toBeGreaterThan(40);
    const page = await app.newPage();
    await app.login(page, 'owner');
    await page.goto('/processes/new');
    const root = page.getByTestId('modeler');
    await page.locator('[data-testid="modeler"][data-imports="1"]').waitFor();

    let imports = 1;
    for (const file of files) {
      const name = path.basename(file);
      await page.getByTestId('modeler-open-file').setInputFiles(file);
      imports++;
      await page.locator(`[data-testid="modeler"][data-imports="${imports}"]`).waitFor();
      const failed = (await page.getByTestId('modeler-import-error').count()) > 0;
      const warnings = (await page.getByTestId('modeler-import-warnings').count()) > 0;

      if (BROKEN.has(name)) {
        expect.soft(failed || warnings, `${name}: shows an import error or warnings`).toBe(true);
        continue;
      }
      expect.soft(failed, `${name}: ${await root.innerText()}`).toBe(false);
      if (failed) continue;
      if (WARNS.has(name)) expect.soft(warnings, `${name}: shows its import warnings`).toBe(true);

      const original = (await moddle().fromXML(readFileSync(file, 'utf8'), 'bpmn:Definitions')).rootElement;
      const drawn = await page
        .locator('[data-testid="modeler-canvas"] .djs-shape')
        .evaluateAll(
          (els) => els.filter((e) => !/_label$/.test(e.getAttribute('data-element-id') ?? '')).length,
        );
      expect.soft(drawn, `${name}: shapes drawn`).toBe(expectedShapes(original));

      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('modeler-export').click(),
      ]);
      const exported = readFileSync(await download.path(), 'utf8');
      const again = (await moddle().fromXML(exported, 'bpmn:Definitions')).rootElement;
      expect.soft(elementsOf(again), `${name}: elements after export`).toEqual(elementsOf(original));
    }
    await app.screenshot(page, 'modeler-import-last');
  });
});
