// The loader benchmark in headless Chromium (npx tsx bench/loader-browser.ts): the Tahoe-like data
// of bench:loader (bench/loader-data.ts) served from 127.0.0.1 by the project's static server, read
// by the page-facing loader (a dedicated loader worker with N read workers, the OPFS chunk cache
// under each), batches of 4096 cells as ready dense rows of 2,000 genes (built in the read workers),
// chunk 512 × preload 32, prefetch 1 — the settings of bench:loader, so the two tables sit side by
// side. Variants: (b) cold (network, OPFS cache filling), (c) warm (a second epoch from OPFS),
// (e) sequential scan (network, no cache). The page is served by Vite with COOP/COEP. Prints a
// table and writes bench-results/loader-browser.json.
//
//   npx tsx bench/loader-browser.ts [--cells 50000] [--latency 0] [--workers 2] [--variants b,c,e] [--repeat 1]
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright';
import { createServer } from 'vite';
import { chromiumArgs, requireChromium } from '../scripts/chromium.ts';
import { startStaticServer } from '../src/server/static-server.ts';
import { dataDir, ensureDataset } from './loader-data.ts';

const { values } = parseArgs({
  options: {
    cells: { type: 'string', default: '50000' },
    latency: { type: 'string', default: '0' },
    workers: { type: 'string', default: '2' },
    variants: { type: 'string', default: 'b,c,e' },
    repeat: { type: 'string', default: '1' },
  },
});
const nObs = Number(values.cells);
const latencyMs = Number(values.latency);
const workersList = values.workers.split(',').map(Number);
const variants = values.variants.split(',') as ('b' | 'c' | 'e')[];
const repeat = Number(values.repeat);
const names = { b: '(b) chunked loader, cold (network)', c: '(c) chunked loader, warm (OPFS cache)', e: '(e) sequential scan' } as const;

interface PageRun {
  readonly cells: number;
  readonly seconds: number;
  readonly networkBytes: number;
  readonly cacheBytes: number;
}

const name = await ensureDataset({ nObs, nVars: 20_000, nnzPerRow: 1500 });
const data = await startStaticServer(resolve(dataDir), { latencyMs });
const vite = await createServer({ configFile: 'vite.config.ts', logLevel: 'error', server: { port: 63406, strictPort: false } });
await vite.listen();
const foreground = ['--disable-renderer-backgrounding', '--disable-background-timer-throttling', '--disable-backgrounding-occluded-windows'];
const browser = await chromium.launch({ executablePath: requireChromium(), args: [...chromiumArgs, ...foreground], headless: true });
const runs = new Map<string, PageRun[]>();
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(0);
  // What the page and its workers say goes to this log: a failure in a worker is seen, not a silent stall.
  page.on('pageerror', (error) => console.log(`  page error: ${error.message}`));
  page.on('console', (message) => void (['error', 'warning'].includes(message.type()) || message.text().startsWith('loader-browser: ') ? console.log(`  page ${message.type()}: ${message.text()}`) : undefined));
  page.on('worker', (worker) => worker.on('close', () => console.log(`  worker closed: ${worker.url()}`)));
  const origin = vite.resolvedUrls?.local[0];
  if (!origin) throw new Error('the Vite server did not report its URL');
  // tsx keeps function names with an `__name` helper, which the function sent to the page lacks
  await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  // a bare module as the document (served with COOP/COEP), as bench/train-threads.ts does
  await page.goto(new URL('src/loader/client.ts', origin).href);
  for (let r = 0; r < repeat; r++) {
    for (const variant of variants) {
      for (const workers of workersList) {
        const request = {
          url: `${data.url}/${name}`,
          variant,
          cache: `bench-loader-${Date.now()}`,
          options: { batchSize: 4096, chunkSize: 512, preloadNChunks: 32, prefetch: 1, seed: 1, obs: ['condition'], inMemory: false, returnX: false, workers, genes: Array.from({ length: 2000 }, (_, j) => j * 10) },
        };
        const run = await page.evaluate(async (req): Promise<PageRun> => {
          const client = '/src/loader/client.ts';
          const { open } = (await import(/* @vite-ignore */ client)) as typeof import('../src/loader/client.ts');
          const sequential = req.variant === 'e' ? { sampler: 'sequential' as const, shuffle: false } : {};
          const loader = await open(req.url, { ...req.options, ...sequential, cache: req.variant === 'e' ? false : { kind: 'opfs', location: req.cache, budgetBytes: 8 * 2 ** 30 } });
          try {
            if (req.variant === 'c') for await (const _ of loader.epoch(0)) void _; // fill the cache
            let cells = 0;
            let last = { networkBytes: 0, cacheBytes: 0 };
            const start = performance.now();
            let shown = start;
            for await (const b of loader.epoch(req.variant === 'c' ? 1 : 0, { onProgress: (p) => (last = p) })) {
              cells += b.nRows;
              if (performance.now() - shown > 15_000) {
                shown = performance.now();
                console.log(`loader-browser: ${cells} cells after ${((shown - start) / 1000).toFixed(0)} s`);
              }
            }
            return { cells, seconds: (performance.now() - start) / 1000, networkBytes: last.networkBytes, cacheBytes: last.cacheBytes };
          } finally {
            await loader.clearCache();
            await loader.close();
          }
        }, request);
        const key = `${variant}:${workers}`;
        runs.set(key, [...(runs.get(key) ?? []), run]);
        console.log(`  ${names[variant]}, ${workers} read workers → ${Math.round(run.cells / run.seconds).toLocaleString('en')} cells/s`);
      }
    }
  }
} finally {
  await browser.close();
  await vite.close();
  await data.close();
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const results = variants.flatMap((variant) =>
  workersList.map((workers) => {
    const all = runs.get(`${variant}:${workers}`)!;
    const rates = all.map((x) => x.cells / x.seconds);
    const sequential = runs.get(`e:${workers}`);
    return {
      variant: names[variant],
      workers,
      cellsPerSecond: median(rates),
      runsCellsPerSecond: rates,
      vsSequential: sequential ? median(rates) / median(sequential.map((x) => x.cells / x.seconds)) : null,
      networkMiB: all[0]!.networkBytes / 2 ** 20,
      cacheMiB: all[0]!.cacheBytes / 2 ** 20,
    };
  }),
);
console.log(`\nChromium (headless), ${cpus().length} CPU(s); ${nObs.toLocaleString('en')} cells, latency ${latencyMs} ms\n`);
console.log('| variant | read workers | cells/s (median) | runs | ÷ (e) | network | from cache |\n| --- | ---: | ---: | --- | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.variant} | ${r.workers} | ${Math.round(r.cellsPerSecond).toLocaleString('en')} | ${r.runsCellsPerSecond.map((x) => Math.round(x).toLocaleString('en')).join(' / ')} | ${r.vsSequential === null ? '' : `${(100 * r.vsSequential).toFixed(0)}%`} | ${r.networkMiB.toFixed(0)} MiB | ${r.cacheMiB.toFixed(0)} MiB |`,
  );
}
console.log(`\nload average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
await mkdir('bench-results', { recursive: true });
await writeFile('bench-results/loader-browser.json', JSON.stringify({ date: new Date().toISOString(), cpus: cpus().length, loadavg: loadavg(), settings: { nObs, latencyMs, workers: workersList, repeat }, results }, null, 2));
console.log('\nwrote bench-results/loader-browser.json');
