// UMAP time by sample size (npx tsx bench/umap.ts): the app's embedding worker
// (src/app/embedding-worker.ts → workers/embedding.worker.ts, src/app/umap/) in headless Chromium
// on synthetic latent means — `--width` dimensions, 6 Gaussian clusters, as the results' μ — in a
// page served by Vite; then, side by side in Node on the same cells up to `--reference-max`, the
// same code next to umap-js (the library it replaced), each with how well it keeps the clusters and
// the input's 15 nearest neighbours (test/umap-quality.ts, 200 probe cells). Prints both tables and
// writes bench-results/umap.json.
//
//   npx tsx bench/umap.ts [--cells 2500,5000,10000] [--width 10] [--reference-max 20000]
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright';
import { createServer } from 'vite';
import { chromiumArgs, requireChromium } from '../scripts/chromium.ts';
import { UMAP } from 'umap-js';
import { umapLayout } from '../src/app/embedding-umap.ts';
import { createRng } from '../src/random.ts';
import { blobs, neighbourhoods } from '../test/umap-quality.ts';

const { values } = parseArgs({ options: { cells: { type: 'string', default: '2500,5000,10000' }, width: { type: 'string', default: '10' }, 'reference-max': { type: 'string', default: '20000' } } });
const sizes = values.cells.split(',').map(Number);
const width = Number(values.width);
const referenceMax = Number(values['reference-max']);

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

// Side by side in Node: the same input as the page's (createRng(1), 6 clusters 4 apart).
interface SideRow { cells: number; width: number; implementation: 'src/app/umap' | 'umap-js'; seconds: number; sameCluster: number; keptNeighbours: number }
const side: SideRow[] = [];
for (const cells of sizes.filter((c) => c <= referenceMax)) {
  const x = blobs(cells, width, 6, 4);
  for (const implementation of ['src/app/umap', 'umap-js'] as const) {
    const t0 = performance.now();
    const xy = implementation === 'umap-js'
      ? Float32Array.from(new UMAP({ nComponents: 2, random: createRng(0, 0x75e4).next }).fit(Array.from({ length: cells }, (_, i) => Array.from(x.subarray(i * width, (i + 1) * width)))).flat())
      : umapLayout(x, cells, width, { seed: 0 });
    const seconds = (performance.now() - t0) / 1000;
    side.push({ cells, width, implementation, seconds, ...neighbourhoods(x, width, xy, cells, 6, 200) });
    console.log(`${implementation} ${cells} cells: ${seconds.toFixed(1)} s`);
  }
}

console.log(`\nUMAP (src/app/umap, 2-D, 15 neighbours) in the embedding worker, headless Chromium ${browser.version()}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}\n`);
console.log('| cells | width | neighbours + graph (s) | epochs | layout (s) | total (s) |\n| ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(`| ${r.cells.toLocaleString('en-US')} | ${r.width} | ${(r.neighboursMs / 1000).toFixed(1)} | ${r.epochs} | ${(r.layoutMs / 1000).toFixed(1)} | ${(r.totalMs / 1000).toFixed(1)} |`);
console.log(`\nSide by side in Node ${process.version} on the same cells (quality over 200 probe cells: share of the 15 nearest in 2-D from the same cluster / among the 15 nearest in ${width}-D)\n`);
console.log('| cells | implementation | seconds | ratio to umap-js | same cluster | kept neighbours |\n| ---: | --- | ---: | ---: | ---: | ---: |');
for (const r of side) {
  const reference = side.find((o) => o.cells === r.cells && o.implementation === 'umap-js');
  console.log(`| ${r.cells.toLocaleString('en-US')} | ${r.implementation} | ${r.seconds.toFixed(1)} | ${reference ? (r.seconds / reference.seconds).toFixed(2) : '—'} | ${r.sameCluster.toFixed(3)} | ${r.keptNeighbours.toFixed(3)} |`);
}
await mkdir('bench-results', { recursive: true });
await writeFile('bench-results/umap.json', JSON.stringify({ date: new Date().toISOString(), cpus: os.cpus().length, load: os.loadavg(), browser: browser.version(), rows, sideBySide: side }, null, 2));
