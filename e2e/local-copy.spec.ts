import { expect, test } from '@playwright/test';
import { fileDrop, fillTrainForm } from './helpers.ts';

test('save a dropped .h5ad as a local sharded copy in OPFS, open it, read the same data and train from it out of core', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  const dataTransfer = await fileDrop(page, 'demo/demo.h5ad', 'demo.h5ad');
  await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer });
  await expect(page.getByTestId('dataset-shape')).toHaveText('1,920 × 1,000');
  await expect(page.getByLabel('Local copy name')).toHaveValue('demo.zarr');
  await page.getByTestId('save-copy').click();
  await expect(page.getByTestId('save-status')).toContainText('Saved "demo.zarr": 1,920 cells × 1,000 genes', { timeout: 60_000 });
  const entry = page.getByTestId('local-stores').locator('li[data-store="demo.zarr"]');
  await expect(entry).toContainText(/demo\.zarr \d+(\.\d)? (KB|MB)/);
  // Saving again under the same name is refused, and nothing is overwritten.
  await page.getByTestId('save-copy').click();
  await expect(page.getByTestId('save-status')).toContainText('already exists');

  await entry.getByRole('button', { name: 'Open' }).click();
  await expect(page.getByTestId('open-status')).toContainText('Opened the local copy "demo.zarr"');
  await expect(page.getByTestId('dataset-shape')).toHaveText('1,920 × 1,000');
  const summary = page.getByTestId('dataset-summary');
  await expect(summary).toContainText('opfs:stores/demo.zarr');
  await expect(summary).toContainText('csr_matrix');
  await expect(summary).toContainText('stimulated');
  // Streamed from the copy: the training worker's read workers open the OPFS store themselves.
  // All 1,000 genes, so that the training cells exceed the 1 MB in-memory limit.
  await fillTrainForm(page, { holdout: { cellType: 'NK', condition: 'stimulated' }, genes: 1000, epochs: 1, hidden: '16, 8', latent: 4, batchSize: 128, memoryMb: 1 });
  await page.getByTestId('train-button').click();
  await expect(page.getByTestId('train-status')).toContainText('out-of-core loader');
  await expect(page.getByTestId('results-panel')).toBeVisible({ timeout: 90_000 });
  await expect(page.getByTestId('r2-table')).toContainText('mean');
  await entry.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByTestId('local-stores')).toContainText('none yet');
  expect(errors).toEqual([]);
});
