import type { Page } from 'playwright-core';

/** Drives the modeler page like a user: clicks on the canvas, the context pad and the panel. */

export interface El {
  id: string;
  type: string;
  name?: string;
  source?: string;
  target?: string;
}

/** The modeler's elements (the page runs with ?lf-test, which exposes the modeler to tests). */
export const elementsOf = (page: Page): Promise<El[]> =>
  page.evaluate(() =>
    (globalThis as any).__lfModeler
      .get('elementRegistry')
      .getAll()
      .map((e: any) => ({
        id: e.id,
        type: e.type,
        name: e.businessObject.name,
        source: e.source?.id,
        target: e.target?.id,
      })),
  );

/** Where on the screen an element can be clicked: a shape's centre, the middle of a connection's path. */
const clickPoint = (page: Page, id: string) =>
  page.evaluate((x) => {
    const gfx = [
      ...(globalThis as any).document.querySelectorAll('[data-testid="modeler-canvas"] .djs-element'),
    ].find((e: any) => e.getAttribute('data-element-id') === x);
    if (!gfx) return null;
    const hit = gfx.querySelector('.djs-hit') as any;
    if (gfx.classList.contains('djs-connection') && hit) {
      const p = hit.getPointAtLength(hit.getTotalLength() / 2);
      const m = hit.getScreenCTM()!;
      return { x: p.x * m.a + p.y * m.c + m.e, y: p.x * m.b + p.y * m.d + m.f };
    }
    const r = (hit ?? gfx).getBoundingClientRect();
    return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
  }, id);

/** Clicks an element on the canvas until the modeler has it selected (the panel shows it). */
export async function select(page: Page, id: string) {
  for (let i = 0; i < 5; i++) {
    const point = await clickPoint(page, id);
    if (point) await page.mouse.click(point.x, point.y);
    const ok = await page
      .waitForFunction((x) => (globalThis as any).__lfModeler.get('selection').get()[0]?.id === x, id, {
        timeout: 2000,
      })
      .then(
        () => true,
        () => false,
      );
    if (ok) return;
  }
  throw new Error(`element ${id} cannot be selected`);
}

/** Opens a group of the properties panel (when closed) and returns it. */
export async function group(page: Page, id: string) {
  const g = page.getByTestId('modeler-panel').locator(`[data-group-id="${id}"]`);
  if ((await g.locator('.bio-properties-panel-group-entries.open').count()) === 0)
    await g.locator('.bio-properties-panel-group-header').click();
  return g;
}

/** Clicks an empty spot of the canvas (ends label editing). */
export async function clickBlank(page: Page) {
  const box = (await page.getByTestId('modeler-canvas').boundingBox())!;
  await page.mouse.click(box.x + box.width - 60, box.y + 40);
}

export async function contextPad(page: Page, action: string) {
  await page.locator(`.djs-context-pad .entry[data-action="${action}"]`).click();
}

/** Appends a task named `name` to `fromId` with the context pad and makes it a user task. */
export async function appendUserTask(page: Page, fromId: string, name: string): Promise<string> {
  await select(page, fromId);
  await contextPad(page, 'append.append-task');
  await page.keyboard.type(name);
  await clickBlank(page);
  const task = (await elementsOf(page)).find((e) => e.type === 'bpmn:Task' && e.name === name)!.id;
  await select(page, task);
  await contextPad(page, 'replace');
  await page.locator('.djs-popup .entry[data-id="replace-with-user-task"]').click();
  return task;
}

/**
 * Appends to `fromId` an exclusive gateway with two end events, 大额 and 小额: the flow to 大额 gets
 * the FEEL condition `=amount > 100` in the properties panel, the one to 小额 becomes the default.
 */
export async function appendAmountSplit(page: Page, fromId: string) {
  await select(page, fromId);
  await contextPad(page, 'append.gateway');
  await clickBlank(page);
  const gateway = (await elementsOf(page)).find((e) => e.type === 'bpmn:ExclusiveGateway')!.id;
  for (const name of ['大额', '小额']) {
    await select(page, gateway);
    await contextPad(page, 'append.end-event');
    await page.keyboard.type(name);
    await clickBlank(page);
  }
  const all = await elementsOf(page);
  const big = all.find((e) => e.name === '大额')!.id;
  const small = all.find((e) => e.name === '小额')!.id;
  const bigFlow = all.find((e) => e.source === gateway && e.target === big)!.id;
  const smallFlow = all.find((e) => e.source === gateway && e.target === small)!.id;

  await select(page, bigFlow);
  const condition = await group(page, 'group-condition');
  await condition.locator('#bio-properties-panel-conditionExpression').click();
  await page.keyboard.type('amount > 100');
  await page.keyboard.press('Escape'); // closes FEEL autocompletion, if open
  await clickBlank(page);
  await page.waitForFunction(
    (id) =>
      (globalThis as any).__lfModeler.get('elementRegistry').get(id).businessObject.conditionExpression
        ?.body === '=amount > 100',
    bigFlow,
  );
  await select(page, smallFlow);
  await contextPad(page, 'replace');
  await page.locator('.djs-popup .entry[data-id="replace-with-default-flow"]').click();
  return { gateway, big, small, bigFlow, smallFlow };
}
