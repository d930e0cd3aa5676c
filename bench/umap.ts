// UMAP time in headless Chromium by sample size (npx tsx bench/umap.ts): the app's embedding
// worker (src/app/embedding-worker.ts → workers/embedding.worker.ts, umap-js) on synthetic latent
// means — `--width` dimensions, 6 Gaussian clusters, as the results' μ — in a page served by Vite.
// Prints the neighbour search (+ graph) time, the layout epochs and their time per cell count, and
// writes bench-results/umap.json. The default sample the results show is chosen from it.
//
//   npx tsx bench/umap.ts [--cells 2500,5000,10000] [--width 10]
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright';
import { createServer } from 'vite';
import { chromiumArgs, requireChromium } from '../scripts/chromium.ts';

const { values } = parseArgs({ options: { cells: { type: 'string', default: '2500,5000,10000' }, width: { type: 'string', default: '10' } } });
const sizes = values.cells.split(',').map(Number);
const width = Number(values.width);

interface Row { cells: number; width: number; neighboursMs: number; epochs: number; layoutMs: number; totalMs: number }

const server = await createServer({ configFile: 'vite.config.ts', logLevel: 'error', server: { port: 63405, strictPort: false } });
await server.listen();
const foreground = ['--disable-renderer-backgrounding', '--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows'];
const browser = await chromium.launch({ executablePath: requireChromium(), args: [...chromiumArgs, ...foreground], headless: true });
const rows: Row[] = [];
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(0);
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('the Vite server did not report its URL');
  await page.goto(new URL('src/random.ts', url).href);
  for (const cells of sizes) {
    const row = await page.evaluate(
      async ([n, w]) => {
        // Vite serves the app's modules by path; the types are the same modules'.
        const paths = ['/src/app/embedding-worker.ts', '/src/random.ts'];
        const { startUmap } = (await import(/* @vite-ignore */ paths[0])) as typeof import('../src/app/embedding-worker.ts');
        const { createRng } = (await import(/* @vite-ignore */ paths[1])) as typeof import('../src/random.ts');
        const rng = createRng(1);
        const values = new Float32Array(n * w);
        for (let i = 0; i < n; i++) for (let d = 0; d < w; d++) values[i * w + d] = (d === i % 6 ? 4 : 0) + rng.normal();
        const t0 = performance.now();
        let firstEpoch = 0;
        let epochs = 0;
        const job = startUmap({ values, n, width: w, options: { seed: 0 } }, (p) => {
          if (p.phase === 'layout') {
            if (p.epoch === 1) firstEpoch = performance.now();
            epochs = p.epochs;
          }
        });
        await job.result;
        const t1 = performance.now();
        return { cells: n, width: w, neighboursMs: firstEpoch - t0, epochs, layoutMs: t1 - firstEpoch, totalMs: t1 - t0 };
      },
      [cells, width] as const,
    );
    rows.push(row);
    console.log(`${cells} cells: ${(row.totalMs / 1000).toFixed(1)} s`);
  }
} finally {
  await browser.close();
  await server.close();
}

console.log(`\nUMAP (umap-js, 2-D, 15 neighbours) in the embedding worker, headless Chromium ${browser.version()}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}\n`);
console.log('| cells | width | neighbours + graph (s) | epochs | layout (s) | total (s) |\n| ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.cells.toLocaleString('en-US')} | ${r.width} | ${(r.neighboursMs / 1000).toFixed(1)} | ${r.epochs} | ${(r.layoutMs / 1000).toFixed(1)} | ${(r.totalMs / 1000).toFixed(1)} |`);
await mkdir('bench-results', { recursive: true });
await writeFile('bench-results/umap.json', JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, load: os.loadavg(), browser: browser.version(), rows }, null, 2));
