// Each way opening a dataset can fail, on the real page in Chromium: a store served without CORS
// headers, a closed port, a port browsers refuse, 404, 403, a host failing with 500, an HDF5 file
// that is not AnnData (a loom file), a file that is not HDF5 at all. Each shows its own message,
// in plain words, saying what to do. A store whose consolidated metadata answers opens without a
// single failed request (no red 404 lines in the console).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { startStaticServer, type StaticServer } from '../src/server/static-server.ts';

const fixtures = resolve('test/fixtures');
const servers: Record<string, StaticServer> = {};
/** A host that sends no CORS (and no CORP) headers at all, as most plain web servers do. */
let bare: Server;
let bareUrl: string;
/** A port nothing listens on (a server held it a moment ago). */
let closedPort: number;

test.beforeAll(async () => {
  servers.ok = await startStaticServer(fixtures);
  servers.noCors = await startStaticServer(fixtures, { fault: 'no-cors' });
  servers.forbidden = await startStaticServer(fixtures, { fault: { status: 403 } });
  servers.failing = await startStaticServer(fixtures, { fault: { status: 500 } });
  bare = createServer((_, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"zarr_format":3,"node_type":"group","attributes":{}}'));
  await new Promise<void>((done) => bare.listen(0, '127.0.0.1', done));
  bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
  const held = createServer();
  await new Promise<void>((done) => held.listen(0, '127.0.0.1', done));
  closedPort = (held.address() as AddressInfo).port;
  await new Promise<void>((done) => held.close(() => done()));
});

test.afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
  await new Promise<void>((done) => bare?.close(() => done()));
});

async function openUrl(page: Page, url: string): Promise<void> {
  await page.getByLabel('Store URL').fill(url);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
}

/** The error the page shows, once it shows one. */
async function shownError(page: Page): Promise<string> {
  const status = page.getByTestId('open-status');
  await expect(status).toHaveClass(/error/, { timeout: 60_000 });
  const text = (await status.textContent()) ?? '';
  expect(text).not.toContain('`');
  return text;
}

async function dropFile(page: Page, url: string, name: string): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    async ([from, fileName]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([await (await fetch(from)).blob()], fileName));
      return dt;
    },
    [url, name] as const,
  );
  await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer });
}

test.describe('the app page (cross-origin isolated)', () => {
  test.beforeEach(async ({ page }) => {
    await page.goto('/');
    await expect(page.getByTestId('isolation')).toContainText('yes');
  });

  test('a store served without CORS headers: the host answers, the page may not read it; what to send, and the serve command', async ({ page }, testInfo) => {
    await openUrl(page, `${servers.noCors!.url}/anndata/small-csr.v3.zarr`);
    const text = await shownError(page);
    expect(text).toMatch(/The server at 127\.0\.0\.1:\d+ answered, but the browser did not let this page read .*small-csr\.v3\.zarr.*\(a CORS refusal\)/);
    expect(text).toMatch(/Access-Control-Allow-Origin.*Access-Control-Expose-Headers.*Range header/);
    expect(text).toContain('run npx trvae-web serve DIR');
    await page.getByTestId('open-status').evaluate((el) => el.closest('section')!.scrollIntoView());
    await page.locator('section', { has: page.getByTestId('open-status') }).screenshot({ path: testInfo.outputPath('error-cors.png') });
  });

  test('a host without any CORS or CORP headers, and a closed port: the isolated page cannot tell them apart, and says both', async ({ page }) => {
    await openUrl(page, `${bareUrl}/atlas.zarr`);
    const bareText = await shownError(page);
    expect(bareText).toMatch(/either nothing answers at 127\.0\.0\.1:\d+ .*or the server answers without the CORS headers.*cross-origin isolated/);
    await openUrl(page, `http://127.0.0.1:${closedPort}/atlas.zarr`);
    await expect(page.getByTestId('open-status')).toContainText(`127.0.0.1:${closedPort}/atlas.zarr`, { timeout: 60_000 });
    expect(await shownError(page)).toMatch(/either nothing answers .*Check that the server is running/);
  });

  test('a port browsers refuse is named before any request is sent', async ({ page }) => {
    const sent: string[] = [];
    page.on('request', (request) => void sent.push(request.url()));
    await openUrl(page, 'http://127.0.0.1:6000/atlas.zarr');
    expect(await shownError(page)).toMatch(/uses port 6000, which browsers refuse to connect to .*no request was sent.*--port 8080/);
    expect(sent.filter((url) => url.includes(':6000'))).toEqual([]);
  });

  test('404 at the root: no AnnData store here, check the path; 403: access denied; 500: the host fails, also after retries', async ({ page }) => {
    await openUrl(page, `${servers.ok!.url}/anndata/no-such-store.zarr`);
    expect(await shownError(page)).toMatch(/^No AnnData store at http:\/\/127\.0\.0\.1:\d+\/anndata\/no-such-store\.zarr: the server answered 404 Not Found .*Check the path/);

    await openUrl(page, `${servers.forbidden!.url}/anndata/small-csr.v3.zarr`);
    await expect(page.getByTestId('open-status')).toContainText('403', { timeout: 60_000 });
    expect(await shownError(page)).toMatch(/answered 403 Forbidden: access denied\. The store is private, or its signed link has expired/);

    await openUrl(page, `${servers.failing!.url}/anndata/small-csr.v3.zarr`);
    await expect(page.getByTestId('open-status')).toContainText('500', { timeout: 60_000 });
    expect(await shownError(page)).toMatch(/answered 500 Internal Server Error: the host failed or is overloaded\. Try again later.*It answered the same after 8 retries\./);
  });

  test('a dropped HDF5 file that is not AnnData (a loom file) and a file that is not HDF5 at all (a CSV named .h5ad)', async ({ page }, testInfo) => {
    await dropFile(page, `${servers.ok!.url}/malformed/cells.loom`, 'cells.loom');
    const loom = await shownError(page);
    expect(loom).toMatch(/^cells\.loom is not an AnnData file: it has no X, obs or var .*It holds col_attrs, col_graphs, layers, matrix, row_attrs, row_graphs: that is a loom file; convert it once in Python: anndata\.read_loom\(path\)\.write_h5ad\(new_path\)/);
    await page.locator('section', { has: page.getByTestId('open-status') }).screenshot({ path: testInfo.outputPath('error-loom.png') });

    const csv = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['gene,cell_1,cell_2\nCD3E,1,0\n'], 'table.h5ad'));
      return dt;
    });
    await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: csv });
    await expect(page.getByTestId('open-status')).toContainText('table.h5ad', { timeout: 60_000 });
    expect(await shownError(page)).toMatch(/^table\.h5ad is not an HDF5 file, so not an \.h5ad: it is a text file, like a CSV or TSV table \(it begins "gene,cell_1,cell_2"\)/);
  });

  test('a store with an obs column this reader cannot read opens, and the summary lists the column with why', async ({ page }) => {
    await openUrl(page, `${servers.ok!.url}/malformed/wrong-encoding.zarr`);
    await expect(page.getByTestId('dataset-shape')).toHaveText('24 × 12');
    const row = page.getByTestId('unreadable-column');
    await expect(row.locator('th')).toHaveText('cell_type');
    await expect(row.locator('td')).toContainText("cannot be read (categorical-but-not-really): ");
    await expect(row.locator('td')).toContainText("has encoding-type 'categorical-but-not-really', which this reader does not know");
  });

  test('the demo (v3, consolidated) and a v2 store with .zmetadata open without failed requests or console errors, first visit included', async ({ page, browser }) => {
    const failed: string[] = [];
    const errors: string[] = [];
    const watch = (p: Page) => {
      p.on('response', (response) => void (response.status() >= 400 && failed.push(`${response.status()} ${response.url()}`)));
      // a request cut before any answer (a 404 whose body the reader does not read counts as answered)
      p.on('requestfailed', async (request) => void (!(await request.response()) && failed.push(`failed ${request.url()}`)));
      p.on('console', (message) => void (message.type() === 'error' && errors.push(`${message.text()} ${message.location().url}`)));
    };
    watch(page);
    await page.getByTestId('demo-button').click();
    await expect(page.getByTestId('dataset-shape')).toHaveText('10,000 × 2,000');
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);

    // A v2 store can only be told from a v3 one by asking: the page asks its probe worker
    // (public/probe-sw.js), where the miss of zarr.json stays, so the page sees none.
    const v2 = `${servers.ok!.url}/anndata/small-csr.zarr`;
    await openUrl(page, v2);
    await expect(page.getByTestId('open-status')).toContainText(`Opened ${v2}`);
    await expect(page.getByTestId('dataset-summary')).toContainText('cell_type');
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
    const probed = await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).map((r) => r.active?.scriptURL));
    expect(probed.some((script) => script?.endsWith('/probe-sw.js'))).toBe(true);

    // This browser remembers the format: opening the store again asks for nothing missing.
    await page.getByTestId('demo-button').click();
    await expect(page.getByTestId('dataset-shape')).toHaveText('10,000 × 2,000');
    await openUrl(page, v2);
    await expect(page.getByTestId('open-status')).toContainText(`Opened ${v2}`);
    expect(failed).toEqual([]);
    // Its link says zarr_format=2, so a browser that never saw the store asks for nothing missing either.
    await page.getByTestId('copy-link').click();
    await expect(page.getByTestId('open-status')).toContainText('Link');
    expect(new URL(page.url()).searchParams.get('zarr_format')).toBe('2');
    failed.length = 0;
    errors.length = 0;
    const elsewhere = await browser.newContext();
    try {
      const other = await elsewhere.newPage();
      watch(other);
      await other.goto(page.url());
      await expect(other.getByTestId('open-status')).toContainText(`Opened ${v2}`, { timeout: 60_000 });
      await expect(other.getByTestId('dataset-summary')).toContainText('cell_type');
      await expect(other.getByTestId('link-problems')).toBeHidden();
      expect(failed).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });
});

test.describe('a page that is not cross-origin isolated (a plain static host, no service worker)', () => {
  test.use({ serviceWorkers: 'block' });
  let site: StaticServer;
  test.beforeAll(async () => {
    site = await startStaticServer(resolve(process.env.E2E_DIST ?? 'dist'));
  });
  test.afterAll(async () => site?.close());

  test('tells a server without CORS headers from a closed port', async ({ page }, testInfo) => {
    await page.goto(`${site.url}/`);
    await expect(page.getByTestId('isolation')).toContainText('no');
    await openUrl(page, `${bareUrl}/atlas.zarr`);
    expect(await shownError(page)).toMatch(/The server at 127\.0\.0\.1:\d+ answered, but the browser did not let this page read .*CORS/);
    await openUrl(page, `http://127.0.0.1:${closedPort}/atlas.zarr`);
    await expect(page.getByTestId('open-status')).toContainText(`127.0.0.1:${closedPort}`, { timeout: 60_000 });
    expect(await shownError(page)).toMatch(new RegExp(`^Could not connect to 127\\.0\\.0\\.1:${closedPort} to read .*: the connection was refused or the host cannot be reached.*Check that the server is running.*npx trvae-web serve DIR`));
    await page.locator('section', { has: page.getByTestId('open-status') }).screenshot({ path: testInfo.outputPath('error-refused.png') });
  });
});
