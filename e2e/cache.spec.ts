import { expect, test } from '@playwright/test';

test('the chunk cache panel shows what OPFS holds and clears it', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('cache-summary')).toContainText('0 chunks');
  // Two entries as the loader's cache would write them (name → bytes), in the same OPFS folder.
  await page.evaluate(async () => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle('trvae-cache', { create: true });
    for (const name of ['a.chunk', 'b.chunk']) {
      const writable = await (await dir.getFileHandle(name, { create: true })).createWritable();
      await writable.write(new Uint8Array(3000));
      await writable.close();
    }
  });
  await page.reload();
  await expect(page.getByTestId('cache-summary')).toContainText('2 chunks, 5.9 KB');
  await page.getByTestId('clear-cache').click();
  await expect(page.getByTestId('cache-summary')).toContainText('0 chunks');
  await expect(page.getByTestId('clear-cache')).toBeDisabled();
});
