// A headless Chromium page for the benchmarks' browser halves: Vite serves the project, and the
// document is a bare module URL (no app page, no Vite client that could reload it mid-run), so a
// benchmark imports its browser module into the page and calls it.
import { chromium, type Page } from 'playwright';
import { createServer } from 'vite';
import { chromiumArgs, requireChromium } from '../scripts/chromium.ts';

/** Runs `run` on a fresh page at `document` (a path under the project root, e.g. 'bench/x.ts'). */
export async function withBenchPage<T>(document: string, port: number, run: (page: Page) => Promise<T>): Promise<T> {
  const server = await createServer({ configFile: 'vite.config.ts', logLevel: 'error', server: { port, strictPort: false } });
  await server.listen();
  const browser = await chromium.launch({ executablePath: requireChromium(), args: chromiumArgs, headless: true });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(0);
    const url = server.resolvedUrls?.local[0];
    if (!url) throw new Error('the Vite server did not report its URL');
    await page.goto(new URL(document, url).href);
    return await run(page);
  } finally {
    await browser.close();
    await server.close();
  }
}
