import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { anndataMissing, python } from '../../test/anndata-python.ts';
import { main } from '../cli/main.ts';
import { parseModelJson } from './export.ts';
import { decodeCheckpoint } from './train/checkpoint-file.ts';

// sim.h5ad: 360 cells (3 cell types × 2 conditions × 60), 60 genes, raw counts, written by anndata 0.8
// (fixtures/make-sim-h5ad.py).
const fixture = new URL('./fixtures/sim.h5ad', import.meta.url).pathname;

describe('trvae-web train / evaluate on an h5ad written by anndata', async () => {
  const out = await mkdtemp(join(tmpdir(), 'trvae-cli-'));
  afterAll(() => rm(out, { recursive: true, force: true }));

  it('train writes the export and a checkpoint, holding the (C, stim) cells out', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    const code = await main([
      'train', fixture, '--condition-key', 'condition', '--cell-type-key', 'cell_type', '--holdout', 'C:stim', '--genes', '30',
      '--epochs', '2', '--batch-size', '64', '--hidden', '16,8', '--latent', '4', '--seed', '3', '--threads', '1', '--out', out,
    ]);
    log.mockRestore();
    expect(code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['checkpoint.ckpt', 'model.json', 'trvae_encode.onnx', 'trvae_mmd.onnx', 'trvae_predict.onnx']);
    const model = parseModelJson(await readFile(join(out, 'model.json'), 'utf8'));
    expect(model.genes).toHaveLength(30);
    expect(model.conditions).toEqual(['control', 'stim']);
    expect(model.input).toBe('counts');
    expect(model.metrics).toMatchObject({ heldOutCells: 60, epochs: 2 });
    const { trainingCells, validationCells } = model.metrics as { trainingCells: number; validationCells: number };
    expect(trainingCells + validationCells).toBe(300);
    expect(validationCells).toBeGreaterThan(30);
    expect(validationCells).toBeLessThan(90);
    const checkpoint = decodeCheckpoint(new Uint8Array(await readFile(join(out, 'checkpoint.ckpt'))));
    expect(checkpoint.epoch).toBe(2);
    expect(checkpoint.state.step).toBe(2 * Math.floor(trainingCells / 64));
  });

  it.skipIf(anndataMissing)(`train --export-latent also writes every cell's latent space, which anndata reads back${anndataMissing ? ` — skipped: ${anndataMissing}` : ''}`, async () => {
    const latentOut = join(out, 'latent');
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    const code = await main([
      'train', fixture, '--condition-key', 'condition', '--cell-type-key', 'cell_type', '--genes', '30',
      '--epochs', '1', '--batch-size', '64', '--hidden', '16,8', '--latent', '4', '--seed', '3', '--threads', '1', '--export-latent', '--out', latentOut,
    ]);
    const lines = log.mock.calls.map((c) => String(c[0]));
    log.mockRestore();
    expect(code).toBe(0);
    expect(lines).toContain('encoding every cell: 360 of 360');
    expect((await readdir(latentOut)).sort()).toEqual(['checkpoint.ckpt', 'latent_mu.csv', 'model.json', 'trvae_cells.h5ad', 'trvae_encode.onnx', 'trvae_mmd.onnx', 'trvae_predict.onnx']);
    const csv = (await readFile(join(latentOut, 'latent_mu.csv'), 'utf8')).split('\n');
    expect(csv).toHaveLength(361);
    const script = 'import anndata, json, sys; c = anndata.read_h5ad(sys.argv[1]); print(json.dumps([c.n_obs, list(c.obsm["X_trvae"].shape), list(c.obsm["X_trvae_mmd"].shape), c.obs_names[0], c.obsm["X_trvae"][0].tolist()]))';
    const [nObs, mu, mmd, first, mu0] = JSON.parse(execFileSync(python, ['-c', script, join(latentOut, 'trvae_cells.h5ad')], { encoding: 'utf8' }));
    expect([nObs, mu, mmd]).toEqual([360, [360, 4], [360, 8]]);
    const row = csv[1].split(',');
    expect(row[0]).toBe(first);
    row.slice(3).map(Number).forEach((v, d) => expect(v).toBeCloseTo(mu0[d], 4));
  });

  it('train --steps-in worker trains the same model, its steps in a worker thread; another value is refused', async () => {
    const workerOut = join(out, 'steps-in-worker');
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    const code = await main([
      'train', fixture, '--condition-key', 'condition', '--cell-type-key', 'cell_type', '--holdout', 'C:stim', '--genes', '30',
      '--epochs', '2', '--batch-size', '64', '--hidden', '16,8', '--latent', '4', '--seed', '3', '--threads', '1', '--steps-in', 'worker', '--out', workerOut,
    ]);
    const refused = await main(['train', fixture, '--condition-key', 'condition', '--steps-in', 'gpu', '--out', workerOut]);
    const messages = log.mock.calls.map((c) => String(c[0]));
    log.mockRestore();
    expect(code).toBe(0);
    expect(refused).toBe(1);
    expect(messages.join('\n')).toMatch(/--steps-in is main or worker, got "gpu"/);
    const [here, there] = await Promise.all([out, workerOut].map(async (dir) => decodeCheckpoint(new Uint8Array(await readFile(join(dir, 'checkpoint.ckpt'))))));
    expect(there.state.step).toBe(here.state.step);
    for (const [name, v] of here.state.params) expect(there.state.params.get(name), name).toEqual(v);
  });

  it('evaluate --json prints the R² table for the held-out pair', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const code = await main(['evaluate', fixture, '--model', out, '--holdout', 'C:stim', '--degs', '10', '--bootstrap', '5', '--json']);
    spy.mockRestore();
    expect(code).toBe(0);
    const result = JSON.parse(lines.join('\n'));
    expect(result.cells).toEqual({ source: 60, target: 60 });
    expect(result.degNames).toHaveLength(10);
    for (const table of [result.full, result.bootstrapMean]) {
      for (const k of ['meanAll', 'varianceAll', 'meanTop', 'varianceTop']) {
        expect(table[k]).toBeGreaterThanOrEqual(0);
        expect(table[k]).toBeLessThanOrEqual(1);
      }
    }
  });

  it('names a missing obs column and a bad holdout', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    expect(await main(['train', fixture, '--condition-key', 'nope', '--out', out])).toBe(1);
    expect(await main(['train', fixture, '--condition-key', 'condition', '--cell-type-key', 'cell_type', '--holdout', 'Z:stim', '--out', out])).toBe(1);
    spy.mockRestore();
    expect(errors.join('\n')).toMatch(/obs has no column "nope"; available: cell_type, condition/);
    expect(errors.join('\n')).toMatch(/held-out cell type "Z" is not a category; categories: A, B, C/);
  });

  it("train --recon nb fits the NB loss on the counts and evaluates like any model; log-normalised input is refused", async () => {
    const nbOut = join(out, 'nb');
    const lines: string[] = [];
    const log = vi.spyOn(console, 'error').mockImplementation((line: string) => void lines.push(line));
    const code = await main([
      'train', fixture, '--condition-key', 'condition', '--cell-type-key', 'cell_type', '--holdout', 'C:stim', '--genes', '30', '--recon', 'nb',
      '--epochs', '10', '--batch-size', '64', '--hidden', '16,8', '--latent', '4', '--eta', '1', '--seed', '3', '--threads', '1', '--out', nbOut,
    ]);
    const refused = await main(['train', fixture, '--condition-key', 'condition', '--recon', 'nb', '--input', 'log1p', '--out', nbOut]);
    log.mockRestore();
    expect(code).toBe(0);
    expect(refused).toBe(1);
    expect(lines.join('\n')).toMatch(/recon 'nb' models raw counts, but X holds log-normalised values/);
    const model = parseModelJson(await readFile(join(nbOut, 'model.json'), 'utf8'));
    expect(model.config.recon).toBe('nb');
    const history = model.history!;
    expect(history[history.length - 1].train.recon).toBeLessThan(history[0].train.recon);
    const printed: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    expect(await main(['evaluate', fixture, '--model', nbOut, '--holdout', 'C:stim', '--degs', '10', '--bootstrap', '5', '--json'])).toBe(0);
    spy.mockRestore();
    const r2 = JSON.parse(printed.join('\n')).full.meanAll;
    expect(r2).toBeGreaterThanOrEqual(0);
    expect(r2).toBeLessThanOrEqual(1);
  });
});
