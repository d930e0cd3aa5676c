// End-to-end training benchmark (npm run bench:train-e2e): the whole `trvae-web train` command
// (process start, reading the h5ad, HVG, training, validation each epoch, export) for a fixed number
// of epochs on a simulated CELLS × GENES dataset, per CPU backend, next to PyTorch's pure training
// time (bench/train_torch.py train: only the optimiser steps, on the same number of training cells,
// same model and batch size). Prints a table and writes bench-results/train-e2e.json.
//
//   npm run bench:train-e2e -- [--cells 6000] [--genes 1000] [--epochs 40] [--backends native,wasm]
//                              [--torch PYTHON] [--torch-threads 1,2]
// PyTorch runs when a Python with torch is found (bench/torch-python.ts; --torch names one), else
// its skip and the reason are printed.
//
// The dataset is written once by bench/make_train_data.py (real anndata, /usr/bin/python3) into
// bench-results/. 'wasm' runs the CLI with TRVAE_ORT_NODE=off.
import { spawnSync } from 'node:child_process';
import { findTorchPython } from './torch-python.ts';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    cells: { type: 'string', default: '6000' },
    genes: { type: 'string', default: '1000' },
    epochs: { type: 'string', default: '40' },
    backends: { type: 'string', default: 'native,wasm' },
    torch: { type: 'string' },
    'torch-threads': { type: 'string', default: '1,2' },
  },
});
const [cells, genes, epochs] = [Number(values.cells), Number(values.genes), Number(values.epochs)];
const validation = 0.2;
const trainCells = Math.round(cells * (1 - validation));

const data = `bench-results/train-e2e-${cells}x${genes}.h5ad`;
await mkdir('bench-results', { recursive: true });
if (!existsSync(data)) {
  const r = spawnSync('/usr/bin/python3', [new URL('./make_train_data.py', import.meta.url).pathname, data, String(cells), String(genes)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`writing ${data} failed: ${r.stderr}`);
}

interface CliRun {
  readonly backend: string;
  readonly wallSeconds: number;
  /** Sum of the per-epoch times the CLI prints (training steps + validation). */
  readonly epochSeconds: number;
  readonly epochs: number;
}

const cli = new URL('../bin/trvae-web.mjs', import.meta.url).pathname;
const runs: CliRun[] = [];
for (const backend of values.backends.split(',')) {
  if (backend !== 'native' && backend !== 'wasm') throw new Error(`--backends: native and/or wasm, got "${backend}"`);
  const out = await mkdtemp(join(tmpdir(), 'trvae-e2e-'));
  const args = [cli, 'train', data, '--condition-key', 'condition', '--genes', String(genes), '--epochs', String(epochs), '--patience', '0', '--lr-patience', '0', '--validation', String(validation), '--out', out];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, ...(backend === 'wasm' ? { TRVAE_ORT_NODE: 'off' } : {}) } });
  const wallSeconds = (performance.now() - t0) / 1000;
  await rm(out, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`trvae-web train (${backend}) failed:\n${r.stderr}`);
  const epochTimes = [...r.stderr.matchAll(/^epoch \d+\S*: .*\s([\d.]+) s(?:,[^,]*)?$/gm)].map((m) => Number(m[1]));
  runs.push({ backend, wallSeconds, epochSeconds: epochTimes.reduce((a, b) => a + b, 0), epochs: epochTimes.length });
}

const torchRuns: { seconds: number; steps: number; cellsPerSecond: number; threads: number; torch: string }[] = [];
const torchPython = findTorchPython(values.torch);
if ('skipped' in torchPython) console.log(`PyTorch side by side skipped: ${torchPython.skipped}`);
else {
  for (const threads of values['torch-threads'].split(',')) {
    const r = spawnSync(torchPython.python, [new URL('./train_torch.py', import.meta.url).pathname, 'train', String(epochs), String(trainCells), String(genes), threads], { encoding: 'utf8' });
    if (r.status === 0) torchRuns.push(JSON.parse(r.stdout));
    else console.error(`PyTorch reference failed: ${r.stderr}`);
  }
}
// The ratios are to PyTorch's fastest thread count.
const torch = torchRuns.length ? torchRuns.reduce((a, b) => (b.seconds < a.seconds ? b : a)) : undefined;

const names: Record<string, string> = { native: 'trvae-web train, onnxruntime-node CPU EP', wasm: 'trvae-web train, ONNX Runtime Web WASM' };
const rate = (s: number) => Math.round((trainCells * epochs) / s).toLocaleString('en');
const rows = runs.map((r) => `| ${names[r.backend]} | whole command | ${r.wallSeconds.toFixed(1)} | ${rate(r.wallSeconds)} | ${torch ? (r.wallSeconds / torch.seconds).toFixed(2) : '–'} |`);
rows.push(...runs.map((r) => `| ${names[r.backend]} | its ${r.epochs} epochs (steps + validation) | ${r.epochSeconds.toFixed(1)} | ${rate(r.epochSeconds)} | ${torch ? (r.epochSeconds / torch.seconds).toFixed(2) : '–'} |`));
for (const t of torchRuns) rows.push(`| PyTorch ${t.torch}, ${t.threads} thread(s) | pure training (${t.steps} steps) | ${t.seconds.toFixed(1)} | ${rate(t.seconds)} | ${(t.seconds / (torch as typeof t).seconds).toFixed(2)} |`);
console.log(`${cells.toLocaleString('en')} × ${genes.toLocaleString('en')} cells × genes, ${trainCells.toLocaleString('en')} training cells, ${epochs} epochs, batch 512, [512, 128], z 20\n`);
console.log(['| run | timed | s | training cells/s | × PyTorch (fastest) |', '| --- | --- | ---: | ---: | ---: |', ...rows].join('\n'));
const machine = { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, loadavg: loadavg() };
console.log(`\n${machine.cpu}, ${machine.cores} cores, load average ${machine.loadavg.map((l) => l.toFixed(1)).join(' ')}`);
await writeFile('bench-results/train-e2e.json', JSON.stringify({ date: new Date().toISOString(), machine, cells, genes, trainCells, epochs, runs, torch: torchRuns, ...('skipped' in torchPython ? { torchSkipped: torchPython.skipped } : {}) }, null, 2));
