import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';

async function save(page: Page, link: Locator, dir: string): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const path = join(dir, download.suggestedFilename());
  await download.saveAs(path);
  return path;
}

test('train on the demo with a held-out pair, then see the latent space, the prediction and downloads', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await page.getByTestId('demo-button').click();
  await expect(page.getByTestId('train-form')).toBeVisible();
  const form = page.getByTestId('train-form');
  await expect(form.getByLabel('Condition key')).toHaveValue('condition');
  await expect(form.getByLabel('Cell type key')).toHaveValue('cell_type');
  await form.getByLabel('Held-out cell type').selectOption('NK');
  await form.getByLabel('Held-out condition').selectOption('stimulated');
  await form.getByLabel('Genes (top HVG)').fill('300');
  await form.getByLabel('Epochs').fill('3');
  await form.locator('summary').click();
  await form.getByLabel('Hidden layers').fill('64, 32');
  await form.getByLabel('Latent size').fill('8');
  await form.getByLabel('Batch size').fill('256');
  await page.getByTestId('train-button').click();
  await expect(page.getByTestId('train-status')).toContainText(/Trained 3 epochs|Stopped early/, { timeout: 90_000 });
  const results = page.getByTestId('results-panel');
  await expect(results).toBeVisible({ timeout: 30_000 });
  await expect(results.getByText('Latent space (PCA of μ)')).toBeVisible();
  await expect(page.getByTestId('r2-table')).toContainText('mean');
  const downloads = page.getByTestId('downloads');
  await expect(downloads.getByRole('link', { name: 'trvae_predict.onnx' })).toBeVisible();
  await expect(downloads.getByRole('link', { name: 'model.json' })).toBeVisible();
  const dir = mkdtempSync(join(tmpdir(), 'trvae-e2e-'));
  const json = JSON.parse(readFileSync(await save(page, downloads.getByRole('link', { name: 'model.json' }), dir), 'utf8'));
  expect(json.genes).toHaveLength(300);
  expect(json.conditions).toEqual(['control', 'stimulated']);
  expect(json.holdout).toEqual({ cellType: 'NK', condition: 'stimulated' });
  expect(json.input).toBe('counts');
  await save(page, downloads.getByRole('link', { name: 'trvae_predict.onnx' }), dir);
  // The downloaded model, evaluated by the CLI in Node, gives the R² the page showed.
  const cli = JSON.parse(
    execFileSync('node', ['bin/trvae-web.mjs', 'evaluate', 'public/demo/demo.zarr', '--model', dir, '--holdout', 'NK:stimulated', '--json'], { encoding: 'utf8' }),
  );
  const shown = await page.getByTestId('r2-table').locator('tbody tr').first().locator('td').first().textContent();
  expect(Number(shown)).toBeCloseTo(cli.bootstrapMean.meanAll, 2);
  expect(errors).toEqual([]);
});

test('a dataset over the in-memory limit trains out of core through the loader in the worker', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await page.getByTestId('demo-button').click();
  const form = page.getByTestId('train-form');
  await form.getByLabel('Held-out cell type').selectOption('NK');
  await form.getByLabel('Held-out condition').selectOption('stimulated');
  await form.getByLabel('Genes (top HVG)').fill('200');
  await form.getByLabel('Epochs').fill('2');
  await form.locator('summary').click();
  await form.getByLabel('Hidden layers').fill('32, 16');
  await form.getByLabel('Latent size').fill('4');
  await form.getByLabel('Batch size').fill('128');
  // 1,920 cells × 200 genes × 4 bytes ≈ 1.5 MB > 1 MB: stream instead of loading.
  await form.getByLabel('In-memory limit (MB)').fill('1');
  await page.getByTestId('train-button').click();
  await expect(page.getByTestId('train-status')).toContainText('out-of-core loader');
  await expect(page.getByTestId('train-status')).toContainText('sampled cells', { timeout: 90_000 });
  const results = page.getByTestId('results-panel');
  await expect(results).toBeVisible({ timeout: 30_000 });
  await expect(results.getByText(/Latent space \(PCA of μ\) — 1,920 sampled cells of 1,920/)).toBeVisible();
  await expect(page.getByTestId('r2-table')).toContainText('variance');
  expect(errors).toEqual([]);
});

test('the negative-binomial loss trains on raw counts from the loader and exports recon "nb"', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('demo-button').click();
  const form = page.getByTestId('train-form');
  await form.getByLabel('Genes (top HVG)').fill('100');
  await form.getByLabel('Epochs').fill('1');
  await form.locator('summary').click();
  await form.getByLabel('Hidden layers').fill('16, 8');
  await form.getByLabel('Latent size').fill('4');
  await form.getByLabel('Reconstruction loss').selectOption('nb');
  await expect(form.getByLabel('Reconstruction weight η')).toHaveValue('1');
  await page.getByTestId('train-button').click();
  await expect(page.getByTestId('train-status')).toContainText('out-of-core loader');
  await expect(page.getByTestId('results-panel')).toBeVisible({ timeout: 90_000 });
  const dir = mkdtempSync(join(tmpdir(), 'trvae-nb-'));
  const json = JSON.parse(readFileSync(await save(page, page.getByTestId('downloads').getByRole('link', { name: 'model.json' }), dir), 'utf8'));
  expect(json.config.recon).toBe('nb');
  expect(json.config.eta).toBe(1);
});
