import { expect, test } from '@playwright/test';
import type { TrvaeTrainerElement } from '../src/app/trainer-element.ts';

test('a host page embeds <trvae-trainer src=…>: it opens the store and tells the host', async ({ page }) => {
  await page.goto('/embed.html');
  await expect(page.getByTestId('host-log')).toHaveText('opened 10000 cells × 2000 genes');
  // Playwright locators pierce the open shadow root.
  await expect(page.getByTestId('dataset-shape')).toHaveText('10,000 × 2,000');
  await expect(page.getByTestId('train-form')).toBeVisible();
  // Styles stay inside the component: the host page's body font is not overridden.
  const panelRadius = await page.locator('trvae-trainer').evaluate((el) => getComputedStyle(el.shadowRoot!.querySelector('.panel')!).borderRadius);
  expect(panelRadius).toBe('8px');
});

test('attributes and properties configure the form; what does not fit is an error event and the problems property', async ({ page }) => {
  await page.goto('/embed.html');
  await expect(page.getByTestId('host-log')).toHaveText('opened 10000 cells × 2000 genes');
  const trainer = page.locator('trvae-trainer');
  const form = page.getByTestId('train-form');
  // An attribute sets its field; a property reflects into its attribute (and the field).
  await trainer.evaluate((el: TrvaeTrainerElement) => {
    el.holdout = 'CD4 T:stimulated';
    el.setAttribute('genes', '123');
    el.epochs = '7';
    el.hiddenLayers = '32, 8';
    el.setAttribute('recon', 'mse');
  });
  await expect(form.getByLabel('Genes', { exact: true })).toHaveValue('123');
  await expect(form.getByLabel('Epochs', { exact: true })).toHaveValue('7');
  await expect(form.getByLabel('Hidden layers', { exact: true })).toHaveValue('32, 8');
  await expect(form.getByLabel('Reconstruction loss', { exact: true })).toHaveValue('mse');
  // Setting other options keeps the held-out pair.
  await expect(form.getByLabel('Held-out cell type')).toHaveValue('CD4 T');
  await expect(form.getByLabel('Held-out condition')).toHaveValue('stimulated');
  expect(await trainer.evaluate((el: TrvaeTrainerElement) => ({ genes: el.genes, epochs: el.getAttribute('epochs'), hidden: el.hidden, problems: el.problems }))).toEqual({ genes: '123', epochs: '7', hidden: false, problems: [] });

  // A column the dataset lacks: the field keeps its value, the host is told.
  const refused = await trainer.evaluate(async (el: TrvaeTrainerElement) => {
    const error = new Promise<CustomEvent>((done) => el.addEventListener('error', (e) => done(e), { once: true }));
    el.conditionKey = 'treatment';
    const { detail } = await error;
    return { code: detail.code as string, problems: detail.problems as string[], property: el.problems };
  });
  expect(refused.code).toBe('invalid-configuration');
  expect(refused.problems).toEqual([expect.stringContaining('"treatment" is not in this dataset (condition, cell_type')]);
  expect(refused.property).toEqual(refused.problems);
  await expect(form.getByLabel('Condition key')).toHaveValue('condition');

  // A store that is not there: open() rejects with the reason, and an error event says the same.
  const failed = await trainer.evaluate(async (el: TrvaeTrainerElement) => {
    const error = new Promise<CustomEvent>((done) => el.addEventListener('error', (e) => done(e), { once: true }));
    const rejected = await el.open('missing/atlas.zarr').then(() => undefined, (e: { code: string; message: string }) => ({ code: e.code, message: e.message }));
    const { detail } = await error;
    return { rejected, event: { code: detail.code as string, message: detail.message as string } };
  });
  expect(failed.rejected?.code).toBe('open-failed');
  expect(failed.rejected?.message).toContain('missing/atlas.zarr');
  expect(failed.event).toEqual(failed.rejected);
  expect(await trainer.evaluate((el: TrvaeTrainerElement) => el.train().then(() => 'trained', (e: { code: string }) => e.code))).toBe('no-dataset');
});
