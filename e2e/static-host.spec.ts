// dist/ on a plain static host that sends no COOP/COEP headers, under a sub-path (as GitHub Pages
// serves a project): the service worker makes the page cross-origin isolated; with service workers
// blocked the page says it runs single-threaded and why.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { expect, test } from '@playwright/test';

const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.json': 'application/json' };

/** GET with Range, nothing else: what an S3 bucket or GitHub Pages offers. */
function staticHost(root: string, prefix: string): Server {
  return createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (!path.startsWith(prefix)) return void res.writeHead(404).end();
    let file = normalize(join(root, path.slice(prefix.length)));
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
    const size = statSync(file).size;
    const type = types[extname(file)] ?? 'application/octet-stream';
    const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = range[1] ? Number(range[1]) : size - Number(range[2]);
      const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      res.writeHead(206, { 'Content-Type': type, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': end - start + 1, 'Accept-Ranges': 'bytes' });
      createReadStream(file, { start, end }).pipe(res);
    } else {
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': size, 'Accept-Ranges': 'bytes' });
      createReadStream(file).pipe(res);
    }
  });
}

let server: Server;
let base: string;
test.beforeAll(async () => {
  server = staticHost(resolve(process.env.E2E_DIST ?? 'dist'), '/project/');
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/project/`;
});
test.afterAll(() => new Promise<void>((done) => server.close(() => done())));

test('without headers, the service worker makes the page cross-origin isolated; the demo opens and trains under a sub-path', async ({ page }) => {
  test.setTimeout(200_000);
  await page.goto(base);
  await expect(page.getByTestId('isolation')).toHaveText(/^yes/, { timeout: 30_000 });
  expect(await page.evaluate(() => crossOriginIsolated && typeof SharedArrayBuffer === 'function')).toBe(true);
  // A short run: the workers and ORT's threaded WASM load through the service worker too.
  await page.goto(`${base}?store=demo/demo.zarr&holdout=&genes=50&epochs=1&hidden=16,8&latent=4&batch-size=256&validation=0.8`);
  await expect(page.getByTestId('dataset-shape')).toHaveText('10,000 × 2,000');
  await page.getByTestId('train-button').click();
  await expect(page.getByTestId('train-status')).toContainText('Trained 1 epoch in', { timeout: 90_000 });
  await expect(page.getByTestId('results-panel')).toBeVisible({ timeout: 30_000 });
});

test.describe('service workers blocked', () => {
  test.use({ serviceWorkers: 'block' });
  test('the page runs single-threaded and says why', async ({ page }) => {
    await page.goto(base);
    const isolation = page.getByTestId('isolation');
    await expect(isolation).toContainText('no — WASM runs single-threaded');
    await expect(isolation).toContainText('Cross-Origin-Embedder-Policy');
    await page.getByTestId('demo-button').click();
    await expect(page.getByTestId('dataset-shape')).toHaveText('10,000 × 2,000');
    await page.screenshot({ path: 'test-results/screenshots/single-thread-fallback.png' });
  });
});
