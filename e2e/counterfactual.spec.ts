// The counterfactual panel after a run on the demo: the held-out pair by default ("never seen in
// training"), then other pairs computed on demand by the run's worker (another cell type, treatment →
// control), the tables and the download following the pair, gene names on hover in the scatter.
import { readFileSync } from 'node:fs';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { fillTrainForm, save } from './helpers.ts';

/**
 * Moves the mouse over the plotting area on a grid finer than the hover radius (16 px) until a
 * gene's tooltip shows: every point is within reach of some grid node, wherever the model put it.
 */
async function hoverAGene(page: Page, plot: Locator): Promise<string> {
  await plot.scrollIntoViewIfNeeded();
  const box = await plot.locator('.u-over').boundingBox();
  if (!box) throw new Error('the prediction plot has no plotting area');
  const tooltip = plot.getByTestId('prediction-tooltip');
  const step = 18;
  for (let y = box.y + step / 2; y < box.y + box.height; y += step) {
    for (let x = box.x + step / 2; x < box.x + box.width; x += step) {
      await page.mouse.move(x, y);
      if (await tooltip.isVisible()) return (await tooltip.textContent()) ?? '';
    }
  }
  throw new Error('no gene under the mouse anywhere on the plot');
}

test('predict any pair after training: the held-out pair, another cell type, treatment → control', async ({ page }, testInfo) => {
  // Training and the results take about a minute on an idle 2-core machine; leave room for a loaded one.
  test.setTimeout(300_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await page.getByTestId('demo-button').click();
  await fillTrainForm(page, { holdout: { cellType: 'NK', condition: 'stimulated' }, genes: 150, epochs: 1, hidden: '32, 16', latent: 4, batchSize: 256 });
  await page.getByTestId('train-button').click();
  const panel = page.getByTestId('prediction');
  await expect(panel).toBeVisible({ timeout: 240_000 });

  // The held-out pair by default.
  const cellType = panel.getByLabel('Cell type', { exact: true });
  const from = panel.getByLabel('From condition');
  const to = panel.getByLabel('To condition');
  await expect(cellType).toHaveValue('NK');
  await expect(from).toHaveValue('control');
  await expect(to).toHaveValue('stimulated');
  const badge = panel.getByTestId('seen-badge');
  await expect(badge).toHaveText('never seen in training');
  const downloads = page.getByTestId('downloads');
  await expect(downloads.getByRole('link', { name: 'predicted_NK_control_to_stimulated.h5ad' })).toBeVisible();
  // The metrics JSON holds the R² the table shows.
  const metrics = JSON.parse(readFileSync(await save(page, downloads.getByRole('link', { name: 'metrics_NK_control_to_stimulated.json' }), testInfo.outputPath()), 'utf8'));
  expect(metrics).toMatchObject({ cellType: 'NK', sourceCondition: 'control', targetCondition: 'stimulated', seenInTraining: false });
  expect(metrics.methods.map((m: { name: string }) => m.name)).toEqual(['trVAE', 'control cells as they are', 'population-average shift']);
  const firstGenes = await panel.getByTestId('top-genes').locator('tbody').textContent();

  // Another cell type: a seen pair, computed by the run's worker.
  await cellType.selectOption('B');
  await expect(badge).toHaveText('seen in training', { timeout: 30_000 });
  await expect(panel).toContainText('cells of B predicted into stimulated');
  await expect(panel.getByTestId('r2-table').locator('thead th')).toHaveText(['R²', 'trVAE', 'baseline: control cells as they are', 'baseline: population-average shift']);
  await expect(panel.getByTestId('top-genes').locator('tbody tr')).toHaveCount(20);
  expect(await panel.getByTestId('top-genes').locator('tbody').textContent()).not.toBe(firstGenes);
  await expect(downloads.getByRole('link', { name: 'predicted_B_control_to_stimulated.h5ad' })).toBeVisible();

  // Treatment → control (the same condition on both sides in between is explained, not an error).
  await from.selectOption('stimulated');
  await expect(panel.getByTestId('prediction-note')).toContainText('two different conditions');
  await to.selectOption('control');
  await expect(panel.getByTestId('prediction-note')).toBeHidden({ timeout: 30_000 });
  await expect(badge).toHaveText('seen in training');
  await expect(panel.getByTestId('r2-table').locator('thead th').nth(2)).toHaveText('baseline: stimulated cells as they are');
  await expect(panel.getByTestId('top-genes').locator('caption')).toContainText('stimulated → control');
  await expect(downloads.getByRole('link', { name: 'predicted_B_stimulated_to_control.h5ad' })).toBeVisible();

  // Gene names on hover.
  const plot = panel.getByTestId('prediction-plot');
  await expect(plot.locator('canvas').first()).toBeVisible();
  expect(await hoverAGene(page, plot)).toMatch(/^gene\d{4}predicted -?\d+\.\d{3} · real -?\d+\.\d{3}/);
  await panel.screenshot({ path: testInfo.outputPath('counterfactual.png') });
  await testInfo.attach('counterfactual', { path: testInfo.outputPath('counterfactual.png'), contentType: 'image/png' });
  expect(errors).toEqual([]);
});
