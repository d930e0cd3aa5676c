// How long training waits for data, per loader variant (npm run bench:loader-wait): --epochs (1) of
// trVAE on onnxruntime-node ('native'; --backend wasm for ORT-web) over the Tahoe-like dataset of
// bench:loader (20,000 genes, ~1,500 non-zeros per cell, counts, served from 127.0.0.1), training
// on --genes evenly spaced genes (--hvg: the pipeline's highly-variable-gene selection, a pass over
// every cell before training, timed as preparation), with the batches from:
//   memory        the loader's in-memory mode (rows read once while the plan is prepared)
//   warm-N        streamed through N read workers (0: in the training thread) over a warm directory
//                 chunk cache (the OPFS stand-in), filled by the cold run before
//   cold          streamed over the network through 2 read workers, the cache empty
// The wait fraction is the share of the training's wall time the trainer had no step to run while
// awaiting the next batch (TrainResult.waitSeconds / seconds, src/model/train/train.ts). Steps run
// in a worker thread (createNodeStepRunner, `train --steps-in worker`) and in the training thread
// itself (the CLI's default), side by side (--steps-in worker,main). Variants run interleaved, --repeat rounds; the
// table gives medians. Prints a table and writes bench-results/loader-wait.json.
//
//   npm run bench:loader-wait -- [--cells 50000] [--genes 2000] [--batch 512] [--latency 0]
//                                [--workers 0,1,2] [--repeat 1] [--backend native] [--hvg] [--epochs 1]
//                                [--steps-in worker,main]
//                                [--out bench-results/loader-wait.json]
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { installFastBlosc } from '../src/loader/codecs/blosc.ts';
import { spawnNodeReadWorker } from '../src/loader/node-workers.ts';
import { openPooledReader, type PooledReader } from '../src/loader/pooled-reader.ts';
import { trainingOptionsFrom } from '../src/model/options.ts';
import { prepareTraining, runTraining } from '../src/model/pipeline.ts';
import { createNodeStepRunner } from '../src/model/train/node-step-worker.ts';
import type { Backend } from '../src/model/runtime.ts';
import { startStaticServer } from '../src/server/static-server.ts';
import { openSource } from '../src/source/index.ts';
import type { AnnDataSource } from '../src/source/types.ts';
import { dataDir, ensureDataset } from './loader-data.ts';

const { values } = parseArgs({
  options: {
    cells: { type: 'string', default: '50000' },
    genes: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '512' },
    latency: { type: 'string', default: '0' },
    workers: { type: 'string', default: '0,1,2' },
    repeat: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'native' },
    hvg: { type: 'boolean', default: false },
    epochs: { type: 'string', default: '1' },
    'steps-in': { type: 'string', default: 'worker,main' },
    out: { type: 'string', default: 'bench-results/loader-wait.json' },
  },
});
const [nObs, nGenes, batchSize, latencyMs, repeat] = ['cells', 'genes', 'batch', 'latency', 'repeat'].map((k) => Number(values[k as keyof typeof values]));
const workersList = values.workers!.split(',').filter(Boolean).map(Number);
const backend = values.backend as Backend;
const stepsIn = values['steps-in']!.split(',').filter(Boolean);
for (const where of stepsIn) if (where !== 'worker' && where !== 'main') throw new Error(`--steps-in: "worker" or "main", got "${where}"`);

installFastBlosc();
const name = await ensureDataset({ nObs, nVars: 20_000, nnzPerRow: 1500 });
const server = await startStaticServer(resolve(dataDir), { latencyMs });
const url = `${server.url}/${name}`;
const cacheDir = resolve(dataDir, `cache-wait-${nObs}`);
await rm(cacheDir, { recursive: true, force: true });

interface Variant {
  readonly name: string;
  readonly stepsIn: string;
  readonly open: () => Promise<{ source: AnnDataSource; pooled?: PooledReader; memoryMb: number }>;
}

const streamed = (workers: number, cache: string) => async () => {
  const pooled = await openPooledReader(url, { workers, cache: { kind: 'directory', location: cache, budgetBytes: 8 * 2 ** 30 }, spawnReadWorker: spawnNodeReadWorker });
  return { source: pooled.source, pooled, memoryMb: 1 };
};
// the cold run fills the cache the warm runs read
const loaders: Omit<Variant, 'stepsIn'>[] = [
  { name: 'memory', open: async () => ({ source: await openSource(url), memoryMb: 8192 }) },
  { name: 'cold (2 read workers)', open: async () => (await rm(cacheDir, { recursive: true, force: true }), streamed(2, cacheDir)()) },
  ...workersList.map((w) => ({ name: `warm (${w} read workers)`, open: streamed(w, cacheDir) })),
];
const variants: Variant[] = stepsIn.flatMap((where) => loaders.map((l) => ({ ...l, stepsIn: where })));
const label = (v: Variant) => `${v.name}, steps in ${v.stepsIn === 'worker' ? 'a worker' : 'the training thread'}`;

interface Run {
  /** prepareTraining: opening the plan, and with --hvg the gene-selection pass over every cell. */
  readonly prepareSeconds: number;
  /** Bytes the preparation read over the network (the HVG pass of a cold run fills the cache the epoch then reads). */
  readonly prepareNetworkMiB: number;
  readonly seconds: number;
  readonly waitSeconds: number;
  readonly steps: number;
  readonly inMemory: boolean;
  readonly networkMiB: number;
  readonly cacheMiB: number;
}

const genes = values.hvg ? undefined : Int32Array.from({ length: nGenes }, (_, j) => Math.floor((j * 20_000) / nGenes));
const options = (memoryMb: number) =>
  trainingOptionsFrom({ conditionKey: 'condition', epochs: values.epochs!, validation: '0', batchSize: String(batchSize), memoryMb: String(memoryMb), input: 'counts', patience: '0', genes: String(nGenes) });

async function runVariant(variant: Variant): Promise<Run> {
  const { source, pooled, memoryMb } = await variant.open();
  try {
    const beforePrepare = pooled?.reader.transfer();
    const preparing = performance.now();
    const plan = await prepareTraining(source, options(memoryMb), { ...(genes ? { genes } : {}), ...(pooled ? { reader: pooled.reader } : {}) });
    const prepareSeconds = (performance.now() - preparing) / 1000;
    try {
      const before = pooled?.reader.transfer();
      const run = await runTraining(plan, { backend, ...(variant.stepsIn === 'worker' ? { stepRunner: createNodeStepRunner } : {}) });
      const after = pooled?.reader.transfer();
      return {
        prepareSeconds,
        prepareNetworkMiB: beforePrepare && before ? (before.networkBytes - beforePrepare.networkBytes) / 2 ** 20 : 0,
        seconds: run.seconds,
        waitSeconds: run.waitSeconds,
        steps: run.checkpoint.state.step,
        inMemory: plan.inMemory,
        networkMiB: before && after ? (after.networkBytes - before.networkBytes) / 2 ** 20 : 0,
        cacheMiB: before && after ? (after.cacheBytes - before.cacheBytes) / 2 ** 20 : 0,
      };
    } finally {
      await plan.close();
    }
  } finally {
    await pooled?.close();
    if (!pooled) await source.close();
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

console.log(`training wait per loader variant on ${cpus().length} CPU(s), Node ${process.version}, backend ${backend}; ${nObs.toLocaleString('en')} cells × 20,000 genes (~1,500 nnz/cell), ${nGenes} genes trained, batch ${batchSize}, latency ${latencyMs} ms; ${repeat} round(s)`);
const runs = new Map<string, Run[]>();
for (let r = 0; r < repeat; r++) {
  for (const v of variants) {
    const run = await runVariant(v);
    runs.set(label(v), [...(runs.get(label(v)) ?? []), run]);
    console.log(`  ${label(v)}: prepared in ${run.prepareSeconds.toFixed(1)} s, trained ${run.seconds.toFixed(1)} s, waited ${run.waitSeconds.toFixed(1)} s (${((100 * run.waitSeconds) / run.seconds).toFixed(1)}%)`);
  }
}
await server.close();
await rm(cacheDir, { recursive: true, force: true });

const results = variants.map((v) => {
  const all = runs.get(label(v))!;
  const fractions = all.map((x) => x.waitSeconds / x.seconds);
  const seconds = median(all.map((x) => x.seconds));
  return {
    variant: v.name,
    stepsIn: v.stepsIn,
    inMemory: all[0]!.inMemory,
    steps: all[0]!.steps,
    prepareSeconds: median(all.map((x) => x.prepareSeconds)),
    prepareNetworkMiB: all[0]!.prepareNetworkMiB,
    seconds,
    waitSeconds: median(all.map((x) => x.waitSeconds)),
    waitFraction: median(fractions),
    waitFractions: fractions,
    cellsPerSecond: (all[0]!.steps * batchSize) / seconds,
    networkMiB: all[0]!.networkMiB,
    cacheMiB: median(all.map((x) => x.cacheMiB)),
  };
});
console.log('\n| loader | steps in | prepare s | prepare network | steps | training s | waited s | wait fraction (runs) | cells/s trained | network | from cache |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of results) {
  console.log(
    `| ${r.variant} | ${r.stepsIn} | ${r.prepareSeconds.toFixed(1)} | ${r.prepareNetworkMiB.toFixed(0)} MiB | ${r.steps} | ${r.seconds.toFixed(1)} | ${r.waitSeconds.toFixed(1)} | ${(100 * r.waitFraction).toFixed(1)}% (${r.waitFractions.map((f) => (100 * f).toFixed(1)).join(' / ')}) | ${Math.round(r.cellsPerSecond).toLocaleString('en')} | ${r.networkMiB.toFixed(0)} MiB | ${r.cacheMiB.toFixed(0)} MiB |`,
  );
}
console.log(`\nload average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
await mkdir('bench-results', { recursive: true });
const command = `npx tsx bench/loader-wait.ts ${process.argv.slice(2).join(' ')}`.trim();
await writeFile(values.out!, JSON.stringify({ date: new Date().toISOString(), command, cpus: cpus().length, loadavg: loadavg(), settings: { nObs, nGenes, hvg: values.hvg, epochs: Number(values.epochs), batchSize, latencyMs, workers: workersList, repeat, backend, stepsIn }, results }, null, 2));
console.log(`\nwrote ${values.out}`);
process.exit(0);
