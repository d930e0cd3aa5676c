import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { anndataMissing, python } from '../test/anndata-python.ts';
import { fillTrainForm, save, tabTo } from './helpers.ts';

test('train on the demo with a held-out pair, then see the latent space, the prediction and downloads', async ({ page }, testInfo) => {
  test.setTimeout(240_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/');
  await page.getByTestId('demo-button').click();
  await expect(page.getByTestId('train-form')).toBeVisible();
  const form = page.getByTestId('train-form');
  await expect(form.getByLabel('Condition key')).toHaveValue('condition');
  await expect(form.getByLabel('Cell type key')).toHaveValue('cell_type');
  await fillTrainForm(page, { holdout: { cellType: 'NK', condition: 'stimulated' }, genes: 300, epochs: 3, hidden: '64, 32', latent: 8, batchSize: 256 });
  await page.getByTestId('train-button').click();
  await expect(page.getByTestId('train-status')).toContainText(/Epoch \d\/3 · step [\d,]+\/[\d,]+ · ETA/, { timeout: 90_000 });
  // The dashboard: an in-memory run says so; the trainer's rate, the backend.
  const dashboard = page.getByTestId('train-dashboard');
  await expect(dashboard).toContainText(/Loader\s*in memory \([\d,]+ cells read once in [\d.]+ s\)/);
  await expect(dashboard).toContainText(/Trainer\s*[\d,]+ cells\/s/);
  await expect(dashboard).toContainText(/Loader read\s*[\d.]+ [KM]?B from the network, [\d.]+ [KM]?B from the cache/);
  await expect(dashboard).toContainText(/Backend\s*(WebGPU|WASM \(CPU, \d threads?\))/);
  // The loss curves are uPlot charts (axes with tick labels, a legend naming the weighted terms).
  const charts = page.getByTestId('train-panel').locator('.loss-chart');
  await expect(charts.first().locator('.u-legend')).toContainText('β·MMD', { timeout: 30_000 });
  await expect(charts.first().locator('.u-legend')).toContainText('η·reconstruction');
  await expect(charts.nth(1).locator('.u-legend')).toContainText('validation');
  // After the first epoch: the share of time spent waiting for data, and the epoch curve's first points.
  await expect(dashboard).toContainText(/Waited for data\s*\d+ % of the time/, { timeout: 60_000 });
  await expect(charts.nth(1).locator('.chart-empty')).toBeHidden();
  await page.screenshot({ path: testInfo.outputPath('training-1280x800.png') });
  await expect(page.getByTestId('train-status')).toContainText(/Trained 3 epochs|Stopped early/, { timeout: 90_000 });
  const results = page.getByTestId('results-panel');
  await expect(results).toBeVisible({ timeout: 30_000 });
  await expect(results.getByText('Latent space (PCA of μ)')).toBeVisible();
  // The model next to the two baselines, and the top responding genes.
  const r2 = page.getByTestId('r2-table');
  await expect(r2).toContainText('mean, all genes');
  await expect(r2.locator('thead th')).toHaveText(['R²', 'trVAE', 'baseline: control cells as they are', 'baseline: population-average shift']);
  await expect(r2.locator('tbody tr')).toHaveCount(4);
  const topGenes = page.getByTestId('top-genes');
  await expect(topGenes.locator('tbody tr')).toHaveCount(20);
  await expect(topGenes.locator('tbody tr').first().locator('th')).toHaveText(/^gene\d{4}$/);
  await results.screenshot({ path: 'test-results/screenshots/results.png' });
  const downloads = page.getByTestId('downloads');
  await expect(downloads.getByRole('link', { name: 'trvae_predict.onnx' })).toBeVisible();
  await expect(downloads.getByRole('link', { name: 'model.json' })).toBeVisible();
  const dir = mkdtempSync(join(tmpdir(), 'trvae-e2e-'));
  const json = JSON.parse(readFileSync(await save(page, downloads.getByRole('link', { name: 'model.json' }), dir), 'utf8'));
  expect(json.genes).toHaveLength(300);
  expect(json.conditions).toEqual(['control', 'stimulated']);
  expect(json.holdout).toEqual({ cellType: 'NK', condition: 'stimulated' });
  expect(json.input).toBe('counts');
  // The CLI's evaluate reads every graph of the export.
  for (const link of await downloads.getByRole('link', { name: /\.onnx$/ }).all()) await save(page, link, dir);
  // The downloaded model, evaluated by the CLI in Node, gives the R² the page showed.
  const cli = JSON.parse(
    execFileSync('node', ['bin/trvae-web.mjs', 'evaluate', 'public/demo/demo.zarr', '--model', dir, '--holdout', 'NK:stimulated', '--json'], { encoding: 'utf8' }),
  );
  const shown = await page.getByTestId('r2-table').locator('tbody tr').first().locator('td').first().textContent();
  expect(Number(shown)).toBeCloseTo(cli.bootstrapMean.meanAll, 2);
  // The AnnData downloads go back into scanpy: Debian's anndata 0.8 reads what the page wrote.
  const cells = await save(page, downloads.getByRole('link', { name: 'trvae_cells.h5ad' }), dir);
  const predicted = await save(page, downloads.getByRole('link', { name: 'predicted_NK_control_to_stimulated.h5ad' }), dir);
  if (anndataMissing) test.info().annotations.push({ type: 'skipped', description: `anndata read-back: ${anndataMissing}` });
  else {
    const script = 'import anndata, json, sys; c = anndata.read_h5ad(sys.argv[1]); p = anndata.read_h5ad(sys.argv[2]); print(json.dumps([c.n_obs, list(c.obsm["X_trvae"].shape), list(c.obsm["X_trvae_mmd"].shape), sorted(set(c.obs["cell_type"])), list(p.shape), p.obs["condition"][0], sorted(c.obs.columns), list(c.obs_names[:2]), c.obsm["X_trvae"][1].tolist()]))';
    const [nObs, mu, mmd, types, shape, condition, columns, names, mu1] = JSON.parse(execFileSync(python, ['-c', script, cells, predicted], { encoding: 'utf8' }));
    expect(nObs).toBe(10_000);
    // Every cell in the dataset's order with every obs column, and the CSV's μ for the same cell.
    expect(columns).toEqual(['cell_type', 'condition', 'lineage']);
    const csv = readFileSync(await save(page, downloads.getByRole('link', { name: 'latent_mu.csv' }), dir), 'utf8').split('\n');
    expect(csv).toHaveLength(10_001);
    const row = csv[2].split(',');
    expect(row[0]).toBe(names[1]);
    row.slice(3).map(Number).forEach((v, d) => expect(v).toBeCloseTo(mu1[d], 4));
    expect(mu).toEqual([10_000, 8]);
    expect(mmd).toEqual([10_000, 32]);
    expect(types).toContain('NK');
    expect(shape[1]).toBe(300);
    expect(condition).toBe('stimulated');
  }
  expect(errors).toEqual([]);
});

test('a dataset over the in-memory limit trains out of core through the loader in the worker', async ({ page }) => {
  test.setTimeout(240_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await page.getByTestId('demo-button').click();
  // 10,000 cells × 200 genes × 4 bytes = 8 MB > 1 MB: stream instead of loading.
  await fillTrainForm(page, { holdout: { cellType: 'NK', condition: 'stimulated' }, genes: 200, epochs: 2, hidden: '32, 16', latent: 4, batchSize: 128, memoryMb: 1 });
  await page.getByTestId('train-button').click();
  await expect(page.getByTestId('train-status')).toContainText('out-of-core loader', { timeout: 60_000 });
  // Streamed: the loader's own rate next to the trainer's, and where the bytes came from.
  const dashboard = page.getByTestId('train-dashboard');
  await expect(dashboard).toContainText(/Loader\s*[\d,]+ cells\/s \(\d read workers?\)/, { timeout: 60_000 });
  await expect(dashboard).toContainText(/Trainer\s*[\d,]+ cells\/s/);
  await expect(dashboard).toContainText(/[\d.]+ [KM]?B from the network/);
  await expect(page.getByTestId('train-status')).toContainText('sampled cells', { timeout: 90_000 });
  const results = page.getByTestId('results-panel');
  await expect(results).toBeVisible({ timeout: 30_000 });
  await expect(results.getByText(/Latent space \(PCA of μ\) — (all 10,000 cells|[\d,]+ sampled cells of 10,000)/)).toBeVisible();
  await expect(page.getByTestId('r2-table')).toContainText('variance');
  expect(errors).toEqual([]);
});

test('the negative-binomial loss trains on raw counts from the loader and exports recon "nb"', async ({ page }) => {
  test.setTimeout(240_000);
  await page.goto('/');
  await page.getByTestId('demo-button').click();
  const form = await fillTrainForm(page, { genes: 100, epochs: 1, hidden: '16, 8', latent: 4, recon: 'nb' });
  await expect(form.getByLabel('Reconstruction weight η')).toHaveValue('1');
  await page.getByTestId('train-button').click();
  await expect(page.getByTestId('train-status')).toContainText('Training on', { timeout: 60_000 });
  await expect(page.getByTestId('results-panel')).toBeVisible({ timeout: 90_000 });
  const dir = mkdtempSync(join(tmpdir(), 'trvae-nb-'));
  const json = JSON.parse(readFileSync(await save(page, page.getByTestId('downloads').getByRole('link', { name: 'model.json' }), dir), 'utf8'));
  expect(json.config.recon).toBe('nb');
  expect(json.config.eta).toBe(1);
});

test('keyboard only: open the demo, set the options, start a run; every control of the train form is labelled', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto('/');
  await tabTo(page, (f) => f.testId === 'demo-button', 'the demo button');
  await page.keyboard.press('Enter');
  const form = page.getByTestId('train-form');
  await expect(form).toBeVisible();
  const type = async (id: string, value: string) => {
    await tabTo(page, (f) => f.id === id, id);
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(value);
  };
  await type('train-genes', '100');
  // The advanced sections open with Enter on their summary.
  for (const section of ['Schedule', 'Model', 'Loss and optimiser']) {
    await tabTo(page, (f) => f.tag === 'summary' && f.text === section, `the ${section} section`);
    await page.keyboard.press('Enter');
  }
  await type('train-epochs', '2');
  await type('train-hidden', '16, 8');
  await type('train-latent', '4');
  // Every input, select and button has an accessible name (a label, legend or text), and no
  // control sits outside the tab order.
  const controls = await form.locator('input, select, button, textarea, summary').all();
  expect(controls.length).toBeGreaterThan(20);
  for (const control of controls) await expect(control).toHaveAccessibleName(/\S/);
  const unreachable = await form.locator('[tabindex="-1"]').count();
  expect(unreachable).toBe(0);
  for (const id of ['pause-button', 'cancel-button']) await expect(page.getByTestId(id)).toHaveAccessibleName(/\S/);
  await expect(page.getByTestId('train-progress')).toHaveAccessibleName(/\S/);
  await tabTo(page, (f) => f.testId === 'train-button', 'the Train button');
  await page.keyboard.press('Enter');
  const status = page.getByTestId('train-status');
  await expect(status).toContainText(/Training on [\d,]+ cells × 100 genes/, { timeout: 60_000 });
  await expect(status).toContainText(/Epoch 1\/2 · step/, { timeout: 60_000 });
  // Pause and Cancel follow in the tab order.
  await tabTo(page, (f) => f.testId === 'pause-button', 'the Pause button', 10);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('pause-button')).toHaveText('Resume');
  await expect(status).toHaveText('Paused.');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('pause-button')).toHaveText('Pause');
  await tabTo(page, (f) => f.testId === 'cancel-button', 'the Cancel button', 10);
  await page.keyboard.press('Enter');
  await expect(status).toContainText(/Cancelled after \d epochs?/, { timeout: 90_000 });
});
