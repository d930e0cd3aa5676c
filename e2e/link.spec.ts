import { expect, test } from '@playwright/test';

test('a link opens the demo with the run set up; Copy link writes the configuration back; the copied link gives the same form', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.goto('/?store=demo/demo.zarr&condition=condition&cell_type=cell_type&holdout=B:stimulated&genes=150&epochs=2&hidden=32,16&latent=6&recon=mse&batch-size=128&bogus=1&dropout=7');
  await expect(page.getByTestId('dataset-shape')).toHaveText('10,000 × 2,000');
  const form = page.getByTestId('train-form');
  const field = (label: string) => form.getByLabel(label, { exact: true });
  await expect(field('Genes')).toHaveValue('150');
  await expect(field('Epochs')).toHaveValue('2');
  await expect(field('Hidden layers')).toHaveValue('32,16');
  await expect(field('Latent size')).toHaveValue('6');
  await expect(field('Batch size')).toHaveValue('128');
  await expect(field('Reconstruction loss')).toHaveValue('mse');
  await expect(form.getByLabel('Held-out cell type')).toHaveValue('B');
  await expect(form.getByLabel('Held-out condition')).toHaveValue('stimulated');
  // Unknown and invalid parameters are reported, not dropped.
  const problems = page.getByTestId('link-problems');
  await expect(problems).toContainText('unknown link parameter "bogus"');
  await expect(problems).toContainText('dropout= needs a value ≤ 0.95, got "7"');
  // Sections holding options the link changed are open.
  await expect(form.locator('details').first()).toHaveAttribute('open', '');
  await page.getByTestId('train-panel').screenshot({ path: 'test-results/screenshots/train-form-from-link.png' });

  await field('Seed').fill('7');
  await form.getByLabel('Held-out cell type').selectOption('NK');
  await page.getByTestId('copy-link').click();
  await expect(page.getByTestId('open-status')).toContainText('Link copied');
  await expect(problems).toBeHidden();
  const url = new URL(page.url());
  expect(url.searchParams.get('store')).toBe('demo/demo.zarr');
  expect(url.searchParams.get('holdout')).toBe('NK:stimulated');
  expect(url.searchParams.get('seed')).toBe('7');
  expect(url.searchParams.get('genes')).toBe('150');
  expect(url.searchParams.get('condition')).toBe('condition');
  expect(url.searchParams.has('bogus')).toBe(false);
  // Options at their defaults are left out: the link stays short.
  expect(url.searchParams.has('lr')).toBe(false);
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(page.url());

  await page.goto(url.href);
  await expect(page.getByTestId('dataset-shape')).toHaveText('10,000 × 2,000');
  await expect(field('Seed')).toHaveValue('7');
  await expect(field('Genes')).toHaveValue('150');
  await expect(field('Latent size')).toHaveValue('6');
  await expect(form.getByLabel('Held-out cell type')).toHaveValue('NK');
  await expect(problems).toBeHidden();
});

test('a link naming columns or categories the dataset lacks says so on the page', async ({ page }) => {
  await page.goto('/?store=demo/demo.zarr&condition=treatment&holdout=Alien:stimulated&layer=counts&epochs=many');
  await expect(page.getByTestId('dataset-shape')).toHaveText('10,000 × 2,000');
  const problems = page.getByTestId('link-problems');
  await expect(problems).toContainText('epochs= needs an integer or auto, got "many"');
  await expect(problems).toContainText('"treatment" is not in this dataset');
  await expect(problems).toContainText('"Alien" is not in this dataset');
  await expect(problems).toContainText('"counts" is not in this dataset');
  await page.screenshot({ path: 'test-results/screenshots/link-problems.png', fullPage: false });
});
