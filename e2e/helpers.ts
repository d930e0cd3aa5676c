// Shared steps of the e2e tests: how a person drops a file and fills the training form.
import { join } from 'node:path';
import type { JSHandle, Locator, Page } from '@playwright/test';

/** A DataTransfer holding `url` (fetched by the page) as a File named `name`, as a drag from the desktop would. */
export function fileDrop(page: Page, url: string, name: string): Promise<JSHandle<DataTransfer>> {
  return page.evaluateHandle(
    async ([from, fileName]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([await (await fetch(from)).blob()], fileName));
      return dt;
    },
    [url, name] as const,
  );
}

export interface TrainFormValues {
  readonly holdout?: { readonly cellType: string; readonly condition: string };
  readonly genes: number;
  readonly epochs: number;
  readonly hidden: string;
  readonly latent: number;
  readonly batchSize?: number;
  readonly memoryMb?: number;
  readonly recon?: 'sse' | 'mse' | 'nb';
}

export async function fillTrainForm(page: Page, values: TrainFormValues): Promise<Locator> {
  const form = page.getByTestId('train-form');
  if (values.holdout) {
    await form.getByLabel('Held-out cell type').selectOption(values.holdout.cellType);
    await form.getByLabel('Held-out condition').selectOption(values.holdout.condition);
  }
  const field = (label: string) => form.getByLabel(label, { exact: true });
  await field('Genes').fill(String(values.genes));
  if (values.memoryMb !== undefined) await field('In-memory limit (MB)').fill(String(values.memoryMb));
  for (const summary of await form.locator('summary').all()) await summary.click();
  await field('Epochs').fill(String(values.epochs));
  await field('Hidden layers').fill(values.hidden);
  await field('Latent size').fill(String(values.latent));
  if (values.batchSize !== undefined) await field('Batch size').fill(String(values.batchSize));
  if (values.recon) await field('Reconstruction loss').selectOption(values.recon);
  return form;
}

/** Clicks a download link and saves the file into `dir`; returns its path. */
export async function save(page: Page, link: Locator, dir: string): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const path = join(dir, download.suggestedFilename());
  await download.saveAs(path);
  return path;
}
