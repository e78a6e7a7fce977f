import type { Page } from 'playwright-core';

/** Drags a form-js palette entry onto the (empty or first) drop area of the form editor's canvas. */
export async function dragToCanvas(page: Page, type: string) {
  const entry = page.locator(`.fjs-palette-field[data-field-type="${type}"]`);
  const target = page.locator('.fjs-form-container .fjs-drop-container-vertical').first();
  const from = (await entry.boundingBox())!;
  const to = (await target.boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(from.x + from.width / 2 + 20, from.y + from.height / 2 + 20, { steps: 5 });
  await page.mouse.move(to.x + to.width / 2, to.y + Math.min(40, to.height / 2), { steps: 10 });
  await page.mouse.up();
}
