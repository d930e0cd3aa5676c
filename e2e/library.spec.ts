// The built library (npm run build:lib → lib/), as a host page uses it: a plain static page that
// imports lib/element.js, configures <trvae-trainer> by attributes and drives it by its methods and
// events; and the declarations in lib/types type a host's code.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test, type Browser, type Page } from '@playwright/test';
import { startStaticServer, type StaticServer } from '../src/server/static-server.ts';
import type { TrvaeTrainerElement } from '../src/app/trainer-element.ts';

const lib = resolve('lib');
let server: StaticServer;
let root: string;

declare global {
  interface Window {
    trainerLog: { name: string; detail: Record<string, unknown> }[];
  }
}

test.beforeAll(async () => {
  if (!existsSync(join(lib, 'element.js'))) throw new Error(`${lib}/element.js is missing: run \`npm run build:lib\` first (\`npm run test:e2e\` does)`);
  // The host's site: its page, the library where a host would copy it, and a zarr store.
  root = mkdtempSync(join(tmpdir(), 'trvae-host-'));
  cpSync('test/fixtures/host/index.html', join(root, 'index.html'));
  symlinkSync(lib, join(root, 'lib'));
  symlinkSync(resolve('public/demo'), join(root, 'demo'));
  server = await startStaticServer(root, { headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } });
});

test.afterAll(async () => {
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

const trainer = (page: Page) => page.locator('trvae-trainer');
const logged = (page: Page, name: string) => page.evaluate((n) => window.trainerLog.filter((e) => e.name === n).length, name);

const errors: string[] = [];
async function openHost(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}/index.html`);
  await expect.poll(() => logged(page, 'opened'), { timeout: 30_000 }).toBe(1);
  return page;
}

// One host page for both runs: the dataset opens once.
test.describe.serial('the built element on a host page', () => {
  let page: Page;
  test.beforeAll(async ({ browser }) => {
    page = await openHost(browser);
  });
  test.afterAll(async () => {
    await page?.close();
    expect(errors).toEqual([]);
  });

  test('attributes configure it, train() trains and exportModel() gives the ONNX files', async () => {
    test.setTimeout(240_000);
    // The attributes are in the form, and reflected as properties.
    const form = page.getByTestId('train-form');
    await expect(form.getByLabel('Genes', { exact: true })).toHaveValue('40');
    await expect(form.getByLabel('Held-out cell type')).toHaveValue('NK');
    await expect(form.getByLabel('Held-out condition')).toHaveValue('stimulated');
    expect(await trainer(page).evaluate((el: TrvaeTrainerElement) => ({ epochs: el.epochs, hiddenLayers: el.hiddenLayers, conditionKey: el.conditionKey, problems: el.problems }))).toEqual({ epochs: '2', hiddenLayers: '16', conditionKey: 'condition', problems: [] });
    await expect(form.getByLabel('Hidden layers', { exact: true })).toHaveValue('16');

    // A value the option cannot take and a column the dataset lacks are reported, not dropped silently.
    const refused = await trainer(page).evaluate(async (el: TrvaeTrainerElement) => {
      const error = new Promise<CustomEvent>((done) => el.addEventListener('error', (e) => done(e), { once: true }));
      el.batchSize = 'many';
      const detail = (await error).detail as { code: string; problems: string[] };
      const rejected = await el.train().then(() => 'trained', (e: { code: string }) => e.code);
      el.cellTypeKey = 'tissue';
      await new Promise((done) => el.addEventListener('error', done, { once: true }));
      const problems = el.problems;
      el.batchSize = '256';
      el.cellTypeKey = 'cell_type';
      el.holdout = 'NK:stimulated';
      return { code: detail.code, first: detail.problems, rejected, problems };
    });
    expect(refused.code).toBe('invalid-configuration');
    expect(refused.first).toEqual([expect.stringContaining('batch-size="many"')]);
    expect(refused.rejected).toBe('invalid-configuration');
    expect(refused.problems).toEqual([expect.stringContaining('"tissue" is not in this dataset')]);
    await expect(form.getByLabel('Batch size', { exact: true })).toHaveValue('256');

    const run = await trainer(page).evaluate(async (el: TrvaeTrainerElement) => {
      const model = await el.train();
      const files = await el.exportModel();
      const json = JSON.parse(new TextDecoder().decode(files.get('model.json'))) as { genes: string[]; holdout: unknown; config: { hidden: number[] } };
      return {
        stopReason: model.result.stopReason,
        epochs: model.result.epoch,
        problems: el.problems,
        files: Object.fromEntries([...files].map(([name, bytes]) => [name, { size: bytes.byteLength, first: bytes[0] }])),
        genes: json.genes.length,
        holdout: json.holdout,
      };
    });
    expect(run.problems).toEqual([]);
    expect(['completed', 'early-stopping']).toContain(run.stopReason);
    expect(run.epochs).toBe(2);
    expect(run.genes).toBe(40);
    expect(run.holdout).toEqual({ cellType: 'NK', condition: 'stimulated' });
    // ONNX models are protobuf ModelProto messages: field 1 (ir_version, a varint) comes first.
    for (const name of ['trvae_encode.onnx', 'trvae_mmd.onnx', 'trvae_predict.onnx']) {
      expect(run.files[name]?.size, name).toBeGreaterThan(1000);
      expect(run.files[name]?.first, name).toBe(0x08);
    }

    const events = await page.evaluate(() => {
      const of = (name: string) => window.trainerLog.filter((e) => e.name === name).map((e) => e.detail);
      const progress = of('progress') as { phase: string; epoch?: number; etaSeconds?: number; steps?: number }[];
      const done = of('done') as { stopReason: string; epochs: number; hasResults: boolean; files: string[] }[];
      return {
        phases: [...new Set(progress.map((p) => p.phase))],
        timed: progress.filter((p) => p.phase === 'training' && p.etaSeconds !== undefined && p.steps !== undefined).length,
        epochs: (of('epoch') as { record: { epoch: number }; epochs: number }[]).map((e) => `${e.record.epoch + 1}/${e.epochs}`),
        done: done.map((d) => ({ stopReason: d.stopReason, epochs: d.epochs, hasResults: d.hasResults, predict: d.files.includes('trvae_predict.onnx') })),
        cancelled: of('cancelled').length,
      };
    });
    expect(events.phases).toEqual(expect.arrayContaining(['selecting genes', 'training', 'computing results']));
    expect(events.timed).toBeGreaterThan(0);
    expect(events.epochs).toEqual(['1/2', '2/2']);
    expect(events.done).toEqual([{ stopReason: run.stopReason, epochs: 2, hasResults: true, predict: true }]);
    expect(events.cancelled).toBe(0);
    // The page around it shows the same run's results.
    await expect(page.getByTestId('results-panel')).toBeVisible();
  });

  test('cancel() during a run: a cancelled event, and train() settles', async () => {
    test.setTimeout(180_000);
    const outcome = await trainer(page).evaluate(async (el: TrvaeTrainerElement) => {
      window.trainerLog.length = 0;
      // Many steps in the first epoch: the cancel arrives in it (the worker checks between steps).
      el.batchSize = '32';
      const cancelOnFirstStep = (e: Event) => {
        const { phase, step } = (e as CustomEvent<{ phase: string; step?: number }>).detail;
        if (phase !== 'training' || !step) return;
        el.removeEventListener('progress', cancelOnFirstStep);
        el.cancel();
      };
      el.addEventListener('progress', cancelOnFirstStep);
      const settled = await el.train().then(
        (model) => ({ stopReason: model.result.stopReason as string, epochs: model.result.epoch }),
        (e: { code: string }) => ({ rejected: e.code }),
      );
      const cancelled = window.trainerLog.filter((e) => e.name === 'cancelled').map((e) => e.detail as { epochs: number; model?: unknown });
      const exported = await el.exportModel().then((files) => [...files.keys()], (e: { code: string }) => e.code);
      return { settled, cancelled: cancelled.map((c) => ({ epochs: c.epochs, model: c.model !== undefined })), done: window.trainerLog.filter((e) => e.name === 'done').length, exported };
    });
    // The model so far (no epoch finished) is kept and exported.
    expect(outcome.settled).toEqual({ stopReason: 'cancelled', epochs: 0 });
    expect(outcome.cancelled).toEqual([{ epochs: 0, model: true }]);
    expect(outcome.done).toBe(0);
    expect(outcome.exported).toEqual(expect.arrayContaining(['model.json', 'trvae_predict.onnx']));
  });
});

test('the declarations in lib/types type a host page\'s code', () => {
  test.setTimeout(120_000);
  // Inside the package, so `trvae-web/element` resolves through package.json "exports" (types → lib/types).
  const dir = resolve('test-results/host-types');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true, skipLibCheck: true, lib: ['ES2023', 'DOM', 'DOM.Iterable'], types: [] }, files: ['host.ts'] }));
  writeFileSync(join(dir, 'host.ts'), `
import { defineTrainerElement, TrainerError, type TrainedModel } from 'trvae-web/element';
import { openSource } from 'trvae-web/source';
import { trainingOptionsFrom } from 'trvae-web/model';
defineTrainerElement();
const el = document.querySelector('trvae-trainer')!;
el.epochs = '20';
el.holdout = null;
const problems: readonly string[] = el.problems;
el.addEventListener('epoch', (e) => console.log(e.detail.record.train.total, e.detail.epochs));
el.addEventListener('done', (e) => console.log(e.detail.hasResults, e.detail.files.length, e.detail.model.result.history.length));
el.addEventListener('progress', (e) => console.log(e.detail.phase, e.detail.etaSeconds));
el.addEventListener('error', (e) => console.log(e.detail.code === 'invalid-configuration', e.detail.problems));
// @ts-expect-error a done event's detail has no such field
el.addEventListener('done', (e) => e.detail.noSuchField);
// @ts-expect-error an option property holds the attribute's text
el.genes = 12;
const model: Promise<TrainedModel> = el.train();
void model.catch((e: unknown) => e instanceof TrainerError && e.code === 'cancelled');
void el.exportModel().then((files: Map<string, Uint8Array>) => files.get('model.json'));
void openSource('https://example.org/a.zarr').then((s) => s.nObs);
void trainingOptionsFrom({ conditionKey: 'condition' }).epochs;
void problems;
`);
  try {
    execFileSync(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', dir], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(`tsc found errors in a host's code typed by lib/types:\n${String((error as { stdout?: Buffer }).stdout)}`, { cause: error });
  }
});
