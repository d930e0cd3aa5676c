import { expect, test } from '@playwright/test';

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
  await page.getByTestId('demo-button').click();
  await expect(page.getByTestId('open-status')).toContainText('not built yet');
});
