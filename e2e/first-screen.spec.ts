import { expect, test } from '@playwright/test';
import { fileDrop } from './helpers.ts';

test('first screen shows the adapter, the backend and the three ways in', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'trvae-web' })).toBeVisible();
  const adapter = page.getByTestId('adapter');
  await expect(adapter).not.toHaveText('probing…');
  // Headless Chromium in CI has SwiftShader: a software adapter, so training falls back to WASM.
  await expect(adapter).toContainText(/swiftshader/i);
  await expect(adapter).toContainText('software fallback');
  await expect(page.getByTestId('backend')).toContainText('WASM');
  await expect(page.getByTestId('isolation')).toContainText('yes');
  await expect(page.getByLabel('Store URL')).toBeVisible();
  await expect(page.getByTestId('drop-zone')).toBeVisible();
});

test('the demo dataset opens and shows its shape and annotations', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('demo-button').click();
  await expect(page.getByTestId('dataset-shape')).toHaveText('10,000 × 2,000');
  const summary = page.getByTestId('dataset-summary');
  await expect(summary).toContainText('csr_matrix');
  await expect(summary).toContainText('cell_type');
  await expect(summary).toContainText('stimulated');
  await expect(summary).toContainText('gene0000');
});

test('a dropped .h5ad opens in a worker', async ({ page }) => {
  await page.goto('/');
  const dataTransfer = await fileDrop(page, 'demo/demo.h5ad', 'demo.h5ad');
  await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer });
  await expect(page.getByTestId('dataset-shape')).toHaveText('1,920 × 1,000', { timeout: 30_000 });
  await expect(page.getByTestId('open-status')).toContainText('demo.h5ad');
});

test('a URL that is not a zarr store gives a clear error', async ({ page }) => {
  await page.goto('/');
  const url = new URL('no-such-store.zarr', page.url()).href;
  await page.getByLabel('Store URL').fill(url);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await expect(page.getByTestId('open-status')).toHaveClass(/error/);
  await expect(page.getByTestId('open-status')).toContainText(`No AnnData store at ${url}`);
  await expect(page.getByTestId('open-status')).toContainText('Check the path');
});

test('an .h5ad dropped anywhere on the page opens, and the file picker works from the keyboard', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('adapter')).not.toHaveText('probing…');
  // Keyboard: Enter on the focused picker button opens the file chooser. Retried: a first Enter
  // can land while the page is still settling (focus moved by the first screen's late renders).
  const picker = page.getByRole('button', { name: 'Choose a file…' });
  await expect(async () => {
    const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 5_000 }), picker.press('Enter')]);
    await chooser.setFiles('public/demo/demo.h5ad');
  }).toPass({ timeout: 60_000 });
  // the .h5ad worker starts h5wasm first: seconds on a busy 2-core machine
  await expect(page.getByTestId('open-status')).toContainText('Opened demo.h5ad (local file)', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Use the demo' }).click();
  await expect(page.getByTestId('open-status')).toContainText('Opened the bundled demo');
  // Dropped on the page header, far from the drop box.
  const dataTransfer = await fileDrop(page, 'demo/demo.h5ad', 'demo.h5ad');
  await page.getByRole('heading', { name: 'trvae-web' }).dispatchEvent('drop', { dataTransfer });
  await expect(page.getByTestId('open-status')).toContainText('Opened demo.h5ad (local file)', { timeout: 30_000 });
  await expect(page.getByTestId('dataset-shape')).toHaveText('1,920 × 1,000');
});
