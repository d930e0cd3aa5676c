// ORT-web WASM train-step time in headless Chromium by thread count (npx tsx bench/train-threads.ts):
// the paper-size step (batch 512, 2,000 genes, [512, 128], z 20) in a dedicated worker of a page
// served by Vite (COOP/COEP: cross-origin isolated, so WASM threads are available), one fresh worker
// per trial, thread counts interleaved trial by trial. Prints fastest and median step per thread
// count and writes bench-results/train-threads.json. The app's default `wasmThreads` is chosen by it.
//
//   npx tsx bench/train-threads.ts [--threads 1,2] [--trials 2] [--steps 5]
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright';
import { createServer } from 'vite';
import { chromiumArgs, requireChromium } from '../scripts/chromium.ts';
import type { ThreadsRequest, ThreadsResult } from './train-threads-worker.ts';

const { values } = parseArgs({ options: { threads: { type: 'string', default: '1,2' }, trials: { type: 'string', default: '2' }, steps: { type: 'string', default: '5' } } });
const threadCounts = values.threads.split(',').map(Number);
const trials = Number(values.trials);
const steps = Number(values.steps);

const server = await createServer({ configFile: 'vite.config.ts', logLevel: 'error', server: { port: 63404, strictPort: false } });
await server.listen();
// A headless page counts as backgrounded: without these flags Chromium may deprioritise its renderer.
const foreground = ['--disable-renderer-backgrounding', '--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows'];
const browser = await chromium.launch({ executablePath: requireChromium(), args: [...chromiumArgs, ...foreground], headless: true });
const results: ThreadsResult[] = [];
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(0);
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('the Vite server did not report its URL');
  // A bare module URL as the document (served with COOP/COEP): no app page, no Vite client.
  await page.goto(new URL('bench/train-threads-worker.ts', url).href);
  for (let trial = 0; trial < trials; trial++) {
    for (const threads of threadCounts) {
      const request: ThreadsRequest = { threads, steps };
      const result = await page.evaluate(
        (req) =>
          new Promise<ThreadsResult>((resolve, reject) => {
            const worker = new Worker('/bench/train-threads-worker.ts', { type: 'module' });
            worker.onmessage = (e: MessageEvent<ThreadsResult>) => {
              worker.terminate();
              resolve(e.data);
            };
            worker.onerror = (e) => reject(new Error(`worker failed: ${e.message}`));
            worker.postMessage(req);
          }),
        request,
      );
      if (!result.isolated && threads > 1) throw new Error('the page is not cross-origin isolated: WASM threads are unavailable');
      results.push(result);
      console.log(`trial ${trial + 1}, ${threads} thread(s): ${result.stepMs.map((ms) => ms.toFixed(0)).join(', ')} ms`);
    }
  }
} finally {
  await browser.close();
  await server.close();
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const rows = threadCounts.map((threads) => {
  const all = results.filter((r) => r.threads === threads).flatMap((r) => r.stepMs);
  return { threads, fastestMs: sorted(all)[0], medianMs: sorted(all)[Math.floor(all.length / 2)], createMs: Math.min(...results.filter((r) => r.threads === threads).map((r) => r.createMs)) };
});
console.log(`\nORT-web WASM train step in headless Chromium, ${os.cpus().length} CPUs, ${trials} trials × ${steps} steps per thread count\n`);
console.log('| threads | fastest step (ms) | median step (ms) | session create (ms) |\n| ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.threads} | ${r.fastestMs.toFixed(0)} | ${r.medianMs.toFixed(0)} | ${r.createMs.toFixed(0)} |`);
await mkdir('bench-results', { recursive: true });
await writeFile('bench-results/train-threads.json', JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, browser: browser.version(), trials, steps, rows, results }, null, 2));
