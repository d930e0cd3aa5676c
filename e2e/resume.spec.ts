import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { save } from './helpers.ts';

const link = '/?store=demo/demo.zarr&holdout=NK:stimulated&genes=100&epochs=6&hidden=16,8&latent=4&batch-size=256&patience=0&validation=0.8';

interface ModelJson {
  readonly history: readonly { readonly epoch: number; readonly train: { readonly total: number } }[];
}

test('a run interrupted by a reload resumes from its OPFS checkpoint and continues the same trajectory', async ({ page }) => {
  test.setTimeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'trvae-resume-'));
  await page.goto(link);
  await expect(page.getByTestId('train-form').getByLabel('Epochs', { exact: true })).toHaveValue('6');
  await expect(page.getByTestId('resume-box')).toBeHidden();
  await page.getByTestId('train-button').click();
  const status = page.getByTestId('train-status');
  await expect(status).toContainText(/Epoch [3-6]\/6/, { timeout: 90_000 });
  await page.getByTestId('pause-button').click();
  // The checkpoint of the last finished epoch is written when that epoch ends.
  await page.waitForTimeout(1500);

  await page.reload();
  const resume = page.getByTestId('resume-button');
  await expect(resume).toHaveText(/^Resume training \(epoch [1-5] of 6\)$/, { timeout: 30_000 });
  await resume.scrollIntoViewIfNeeded();
  await page.screenshot({ path: 'test-results/screenshots/resume-offer.png' });
  const k = Number(/epoch (\d)/.exec((await resume.textContent()) ?? '')?.[1]);
  await resume.click();
  await expect(status).toContainText(`Resumed from epoch ${k}. Trained 6 epochs`, { timeout: 90_000 });
  await expect(page.getByTestId('results-panel')).toBeVisible({ timeout: 30_000 });
  const resumed = JSON.parse(readFileSync(await save(page, page.getByTestId('downloads').getByRole('link', { name: 'model.json' }), dir), 'utf8')) as ModelJson;
  // A finished run leaves nothing to resume.
  await expect(page.getByTestId('resume-box')).toBeHidden();

  // The same options straight through: the same losses, epoch by epoch.
  await page.getByTestId('train-button').click();
  await expect(status).toContainText(/^Trained 6 epochs/, { timeout: 90_000 });
  await expect(page.getByTestId('results-panel')).toBeVisible({ timeout: 30_000 });
  const straight = JSON.parse(readFileSync(await save(page, page.getByTestId('downloads').getByRole('link', { name: 'model.json' }), dir), 'utf8')) as ModelJson;
  expect(resumed.history).toHaveLength(6);
  expect(resumed.history.map((h) => h.train.total)).toEqual(straight.history.map((h) => h.train.total));
});
