import { expect, test } from '@playwright/test';

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
