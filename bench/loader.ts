// Loader benchmark (npm run bench:loader): Tahoe-like data written by our zarr v3 writer, served
// from 127.0.0.1 with added latency (and optionally a bandwidth cap), batches of 4096 cells
// densified to float32 for 2,000 selected genes. Each variant runs in its own process so that its
// peak RSS is its own. Peak RSS mixes live data with garbage V8 has not yet collected and with
// allocator fragmentation, so each child also reports peak live memory (JS heap + external,
// ArrayBuffers included, of the main thread and every read worker), sampled at every batch, and,
// with --gc-every N, after a forced full GC every N batches (children run with --expose-gc).
// "Flat in dataset size" is judged on equal work: the peaks over the first --equal-cells cells of
// every run (default: the full pools the smallest dataset has, with a full pool prefetched behind
// them), so that a longer epoch does not simply sample more garbage-collection timings and a small
// dataset's partial last pool does not lower its peak. Children run with glibc's mmap threshold
// fixed at 128 KiB (MALLOC_MMAP_THRESHOLD_): glibc otherwise raises it after large frees and keeps
// freed ArrayBuffer memory in its heap, so RSS creeps with run time (browsers allocate ArrayBuffers
// with their own allocator); --glibc-default-malloc keeps glibc's dynamic threshold.
// Prints a table and writes bench-results/loader.json.
//
//   npm run bench:loader -- [--cells 200000,50000] [--latency 0,20] [--bandwidth BYTES_PER_S]
//                           [--variants a,b,c,d,e,f] [--naive-seconds 15] [--chunk 512 --preload 32] [--prefetch 1]
//                           [--nnz 1500] [--gc-every 0] [--equal-cells N] [--glibc-default-malloc]
//                           [--cpu-prof DIR]   (V8 CPU profiles of every child thread)
//                           [--workers 0,1,2] [--repeat N] [--with-x] [--baseline DIR]
// --baseline DIR runs every variant also from another checkout (e.g. `git worktree add DIR REV`, with
// node_modules linked), interleaved with this tree's runs (--repeat N rounds), each tree with its own
// cache; the table gives medians and this tree ÷ baseline. Without --with-x, batches carry only the
// dense selected genes (built in the read workers); the baseline's loader may gather X regardless.
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { directoryBackend } from '../src/loader/cache/backend.ts';
import { withChunkCache, withTransferCounting } from '../src/loader/cache/cached-store.ts';
import { openChunkCache } from '../src/loader/cache/chunk-cache.ts';
import { densify, gatherRows, geneColumnMap } from '../src/loader/blocks.ts';
import { installFastBlosc } from '../src/loader/codecs/blosc.ts';
import { openLoader, type LoaderOptions } from '../src/loader/loader.ts';
import { spawnNodeReadWorker } from '../src/loader/node-workers.ts';
import { liveMemory, type LiveMemory } from '../src/loader/read-worker.ts';
import { openWorkerPool, type WorkerPool } from '../src/loader/worker-pool.ts';
import { createRng, permutation } from '../src/random.ts';
import { createTransferStats } from '../src/loader/transfer.ts';
import { startStaticServer } from '../src/server/static-server.ts';
import { openSource } from '../src/source/index.ts';
import { dataDir, ensureDataset } from './loader-data.ts';

type Variant = 'a' | 'b' | 'c' | 'd' | 'e' | 'f';

const variantNames: Record<Variant, string> = {
  a: '(a) naive: one read per cell',
  b: '(b) chunked loader, cold (network)',
  c: '(c) chunked loader, warm (cache)',
  d: '(d) in-memory',
  e: '(e) sequential scan (ceiling)',
  f: '(f) sequential scan, warm (cache)',
};

interface ChildTask {
  readonly variant: Variant;
  readonly url: string;
  readonly cacheDir: string;
  readonly batchSize: number;
  readonly nGenes: number;
  readonly chunkSize: number;
  readonly preloadNChunks: number;
  /** Pools read ahead of the one consumed. */
  readonly prefetch: number;
  readonly naiveSeconds: number;
  /** Read workers (worker threads) for the loader variants; 0 = read in the loader's thread. */
  readonly workers: number;
  /** Force a full GC (main thread and workers) and sample live memory every this many batches; 0 = never. */
  readonly gcEvery: number;
  /** Peak RSS is also reported over the first this many cells (equal work at every dataset size). */
  readonly equalCells: number;
  readonly glibcDefaultMalloc: boolean;
  /** Write V8 CPU profiles of each child (main thread and read workers) here. */
  readonly cpuProfileDir?: string;
  /** Batches also carry X, the CSR rows over all genes (gathered in the loader's thread). */
  readonly withX: boolean;
}

interface ChildResult {
  readonly cells: number;
  readonly seconds: number;
  readonly cellsPerSecond: number;
  readonly peakRssMiB: number;
  /** Peak RSS over the first `equalCells` cells. */
  readonly peakRssEqualWorkMiB: number;
  /** Most live memory seen at a batch boundary, without forcing GC (garbage not yet collected counts). */
  readonly peakLiveMiB: number;
  /** Most live memory after a forced full GC (null without --gc-every). */
  readonly peakLiveAfterGcMiB: number | null;
  /** The same over the first `equalCells` cells. */
  readonly peakLiveAfterGcEqualWorkMiB: number | null;
  /** Where the live memory was at its peak: MiB per thread (main first), heap + external. */
  readonly peakLiveByThreadMiB: readonly { heap: number; external: number }[];
  readonly networkMiB: number;
  readonly networkRequests: number;
  readonly cacheMiB: number;
  readonly loadSeconds?: number;
  /** CPU seconds of every thread of the process (user + system) over the timed epoch: unlike wall time, barely moved by other jobs on the machine. */
  readonly cpuSeconds: number;
  /** Of it, in the kernel (page faults of fresh memory, I/O). */
  readonly systemCpuSeconds: number;
}

const MiB = 2 ** 20;

function selectedGenes(nVars: number, n: number): number[] {
  return Array.from({ length: n }, (_, j) => Math.floor((j * nVars) / n));
}

const liveBytes = (threads: readonly LiveMemory[]): number => threads.reduce((s, m) => s + m.heapUsed + m.external, 0);

async function runChild(task: ChildTask): Promise<ChildResult> {
  installFastBlosc();
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  let peakLive = 0;
  let peakLiveAfterGc = 0;
  let pool: WorkerPool | undefined;
  let batchesSeen = 0;
  let peakByThread: { heap: number; external: number }[] = [];
  let peakEqualWork: number | undefined;
  let peakLiveAfterGcEqualWork = 0;
  const noteCells = (cells: number): void => {
    if (peakEqualWork === undefined && cells >= task.equalCells) peakEqualWork = Math.max(peak, process.memoryUsage().rss);
  };
  /** Samples live memory of every thread at a batch boundary (after a full GC every gcEvery batches). */
  const sampleLive = async (): Promise<void> => {
    const collect = task.gcEvery > 0 && batchesSeen % task.gcEvery === 0;
    batchesSeen++;
    const threads = [liveMemory(collect), ...((await pool?.memory(collect)) ?? [])];
    const live = liveBytes(threads);
    if (live > peakLive) peakByThread = threads.map((m) => ({ heap: m.heapUsed / MiB, external: m.external / MiB }));
    peakLive = Math.max(peakLive, live);
    if (collect) peakLiveAfterGc = Math.max(peakLiveAfterGc, live);
    if (collect && peakEqualWork === undefined) peakLiveAfterGcEqualWork = Math.max(peakLiveAfterGcEqualWork, live);
  };
  const stats = createTransferStats();
  const useCache = task.variant === 'b' || task.variant === 'c' || task.variant === 'f';
  const cache = useCache ? await openChunkCache(await directoryBackend(task.cacheDir), { budgetBytes: 8 * 2 ** 30 }) : undefined;
  const source = await openSource(task.url, {
    // Node's fetch may reuse a keep-alive socket the server just closed while this process was busy decoding
    retries: 3,
    wrapStore: (s) => (cache ? withChunkCache(s, cache, stats) : withTransferCounting(s, stats)),
  });
  const genes = selectedGenes(source.nVars, task.nGenes);
  let cells = 0;
  let loadSeconds: number | undefined;
  const t0 = performance.now();
  let start = t0;
  let cpuStart = process.cpuUsage();
  if (task.variant === 'a') {
    // one readRows per cell, 4096-cell batches in random order; time-capped, cells counted as done
    const map = geneColumnMap(source.nVars, genes);
    const order = permutation(source.nObs, createRng(1));
    const inFlight = 64;
    outer: for (let b = 0; b < source.nObs; b += task.batchSize) {
      const batch = order.subarray(b, Math.min(source.nObs, b + task.batchSize));
      for (let i = 0; i < batch.length; i += inFlight) {
        const reads = await Promise.all(Array.from(batch.subarray(i, i + inFlight), (r) => source.readRows([{ start: r, end: r + 1 }])));
        for (const read of reads) densify(gatherRows(read.block, Uint32Array.of(0)), map, genes.length);
        cells += reads.length;
        noteCells(cells);
        if (i % task.batchSize === 0) await sampleLive();
        if ((performance.now() - start) / 1000 > task.naiveSeconds) break outer;
      }
    }
  } else {
    pool =
      task.workers > 0
        ? await openWorkerPool({
            input: task.url,
            size: task.workers,
            spawn: spawnNodeReadWorker,
            open: { retries: 3, cache: useCache ? { kind: 'directory', location: task.cacheDir, budgetBytes: 8 * 2 ** 30 } : undefined },
          })
        : undefined;
    const options: LoaderOptions = {
      ...(pool ? { reader: pool } : {}),
      batchSize: task.batchSize,
      chunkSize: task.chunkSize,
      preloadNChunks: task.preloadNChunks,
      seed: 1,
      genes,
      obs: ['condition'],
      prefetch: task.prefetch,
      returnX: task.withX,
      inMemory: task.variant === 'd',
      memoryBudgetBytes: 8 * 2 ** 30,
      ...(task.variant === 'e' || task.variant === 'f' ? { sampler: 'sequential' as const, shuffle: false } : {}),
    };
    const loader = await openLoader(source, options);
    loadSeconds = (performance.now() - t0) / 1000;
    start = performance.now();
    cpuStart = process.cpuUsage();
    // warm reads epoch 1: a different chunk order than the cold epoch 0 that filled the cache
    for await (const batch of loader.epoch(task.variant === 'c' ? 1 : 0)) {
      cells += batch.nRows;
      noteCells(cells);
      await sampleLive();
    }
    if (pool) {
      const t = pool.transfer();
      stats.networkBytes += t.networkBytes;
      stats.networkRequests += t.networkRequests;
      stats.cacheBytes += t.cacheBytes;
      stats.cacheRequests += t.cacheRequests;
    }
    await loader.close();
    await pool?.close();
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  await source.close();
  return {
    cells,
    seconds,
    cellsPerSecond: cells / seconds,
    peakRssMiB: peak / MiB,
    peakRssEqualWorkMiB: (peakEqualWork ?? peak) / MiB,
    peakLiveMiB: peakLive / MiB,
    peakLiveAfterGcMiB: task.gcEvery > 0 ? peakLiveAfterGc / MiB : null,
    peakLiveAfterGcEqualWorkMiB: task.gcEvery > 0 ? peakLiveAfterGcEqualWork / MiB : null,
    peakLiveByThreadMiB: peakByThread,
    networkMiB: stats.networkBytes / MiB,
    networkRequests: stats.networkRequests,
    cacheMiB: stats.cacheBytes / MiB,
    ...(task.variant === 'd' ? { loadSeconds } : {}),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    systemCpuSeconds: cpu.system / 1e6,
  };
}

function spawnChild(task: ChildTask, tree: Tree): Promise<ChildResult> {
  return new Promise((done, fail) => {
    const profile = task.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', task.cpuProfileDir] : [];
    const child = spawn(process.execPath, ['--expose-gc', ...profile, '--import', 'tsx', join(tree.dir, 'bench/loader.ts'), '--child', JSON.stringify(task)], {
      cwd: tree.dir,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: task.glibcDefaultMalloc ? process.env : { ...process.env, MALLOC_MMAP_THRESHOLD_: '131072' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0) done(JSON.parse(line) as ChildResult);
      else fail(new Error(`variant ${task.variant} exited with ${code}: ${out}`));
    });
  });
}

/**
 * Equal work that every dataset of the run does in full pools: the cells whose pools, and the pool
 * prefetched behind them (prefetch 1), are complete in the smallest dataset. Past that, a small
 * dataset's last, partial pool would hold less than a large dataset's full one.
 */
function equalWorkDefault(smallest: number, poolRows: number): number {
  return Math.max(poolRows, Math.floor((smallest - poolRows) / poolRows) * poolRows);
}

function listArg(flag: string, fallback: string): string[] {
  const i = process.argv.indexOf(flag);
  return (i >= 0 ? process.argv[i + 1]! : fallback).split(',').filter(Boolean);
}

function numberArg(flag: string, fallback: number): number {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** A checkout whose bench/loader.ts children run the variants: this one, or a baseline revision's. */
interface Tree {
  readonly name: string;
  readonly dir: string;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const cellsList = listArg('--cells', '200000,50000').map(Number);
  const latencies = listArg('--latency', '0,20').map(Number);
  const variants = listArg('--variants', 'a,b,c,d,e') as Variant[];
  const workersList = listArg('--workers', '2').map(Number);
  const repeat = numberArg('--repeat', 1);
  const bandwidth = numberArg('--bandwidth', 0);
  const baselineDir = listArg('--baseline', '')[0];
  const trees: Tree[] = [{ name: 'this tree', dir: process.cwd() }, ...(baselineDir ? [{ name: 'baseline', dir: resolve(baselineDir) }] : [])];
  const base = {
    batchSize: numberArg('--batch', 4096),
    nGenes: numberArg('--genes', 2000),
    chunkSize: numberArg('--chunk', 512),
    preloadNChunks: numberArg('--preload', 32),
    prefetch: numberArg('--prefetch', 1),
    naiveSeconds: numberArg('--naive-seconds', 15),
    gcEvery: numberArg('--gc-every', 0),
    equalCells: numberArg('--equal-cells', equalWorkDefault(Math.min(...cellsList), numberArg('--chunk', 512) * numberArg('--preload', 32))),
    glibcDefaultMalloc: process.argv.includes('--glibc-default-malloc'),
    withX: process.argv.includes('--with-x'),
    ...(process.argv.includes('--cpu-prof') ? { cpuProfileDir: resolve(listArg('--cpu-prof', '')[0] ?? 'bench-results/profiles') } : {}),
  };
  const nnzPerRow = numberArg('--nnz', 1500);
  const results: Record<string, unknown>[] = [];
  console.log(
    `loader benchmark on ${cpus().length} CPU(s), Node ${process.version}; read worker threads ${workersList.join(', ')}; cache = directory backend (OPFS stand-in, same ChunkCache code); glibc mmap threshold ${base.glibcDefaultMalloc ? 'dynamic (default)' : 'fixed at 128 KiB'}; batches ${base.withX ? 'with' : 'without'} X; ${repeat} interleaved run(s) per variant${baselineDir ? `, this tree vs ${baselineDir}` : ''}`,
  );
  for (const nObs of cellsList) {
    const name = await ensureDataset({ nObs, nVars: 20_000, nnzPerRow });
    for (const latencyMs of latencies) {
      const server = await startStaticServer(resolve(dataDir), { latencyMs, ...(bandwidth > 0 ? { bytesPerSecond: bandwidth } : {}) });
      const url = `${server.url}/${name}`;
      // each tree its own cache: their entry formats may differ
      const cacheDirs = trees.map((_, i) => resolve(dataDir, `cache-${nObs}-${latencyMs}-${i}`));
      for (const d of cacheDirs) await rm(d, { recursive: true, force: true });
      const runs = new Map<string, ChildResult[]>();
      const keyOf = (variant: Variant, workers: number, tree: number) => `${variant}:${workers}:${tree}`;
      const filled = new Set<number>();
      for (let r = 0; r < repeat; r++) {
        for (const variant of variants) {
          for (const workers of variant === 'a' ? workersList.slice(0, 1) : workersList) {
            for (const [t, tree] of trees.entries()) {
              const task = { ...base, workers, url, cacheDir: cacheDirs[t]! };
              if ((variant === 'c' || variant === 'f') && !filled.has(t)) {
                // warm means after a cold epoch filled the cache
                console.log(`  ${nObs} cells, ${latencyMs} ms, ${tree.name}: filling the cache (a cold epoch, not reported)`);
                await spawnChild({ ...task, variant: 'b' }, tree);
              }
              if (variant === 'b' || variant === 'c' || variant === 'f') filled.add(t);
              const result = await spawnChild({ ...task, variant }, tree);
              const k = keyOf(variant, workers, t);
              runs.set(k, [...(runs.get(k) ?? []), result]);
              console.log(`  ${nObs} cells, ${latencyMs} ms, ${tree.name}: ${variantNames[variant]}, ${workers} read workers → ${Math.round(result.cellsPerSecond).toLocaleString()} cells/s`);
            }
          }
        }
      }
      await server.close();
      for (const d of cacheDirs) await rm(d, { recursive: true, force: true });
      const rate = (k: string): number | null => (runs.has(k) ? median(runs.get(k)!.map((x) => x.cellsPerSecond)) : null);
      const cpuPer50k = (k: string): number | null => (runs.has(k) ? median(runs.get(k)!.map((x) => (x.cpuSeconds * 50_000) / Math.max(1, x.cells))) : null);
      for (const variant of variants) {
        for (const workers of variant === 'a' ? workersList.slice(0, 1) : workersList) {
          for (const [t, tree] of trees.entries()) {
            const all = runs.get(keyOf(variant, workers, t))!;
            const cps = rate(keyOf(variant, workers, t))!;
            const naive = rate(keyOf('a', workersList[0]!, t));
            const sequential = rate(keyOf('e', workers, t));
            const baseline = t === 0 && trees.length > 1 ? rate(keyOf(variant, workers, 1)) : null;
            const cpu = cpuPer50k(keyOf(variant, workers, t))!;
            const baselineCpu = t === 0 && trees.length > 1 ? cpuPer50k(keyOf(variant, workers, 1)) : null;
            const r = all.reduce((a, b) => (Math.abs(b.cellsPerSecond - cps) < Math.abs(a.cellsPerSecond - cps) ? b : a));
            results.push({
              ...r,
              cellsPerSecond: cps,
              runsCellsPerSecond: all.map((x) => x.cellsPerSecond),
              dataset: nObs,
              latencyMs,
              bandwidthBytesPerSecond: bandwidth || null,
              variant: variantNames[variant],
              workers: variant === 'a' ? null : workers,
              tree: tree.name,
              vsNaive: naive ? cps / naive : null,
              vsSequential: sequential ? cps / sequential : null,
              vsBaseline: baseline ? cps / baseline : null,
              cpuSecondsPer50k: cpu,
              systemCpuSecondsPer50k: median(all.map((x) => (x.systemCpuSeconds * 50_000) / Math.max(1, x.cells))),
              cpuVsBaseline: baselineCpu ? baselineCpu / cpu : null,
            });
          }
        }
      }
    }
  }
  const header = ['dataset', 'latency', 'variant', 'read workers', 'tree', 'cells/s (median)', 'runs', '÷ baseline', 'CPU s / 50k cells', 'of it system', 'less CPU than baseline', '× (a)', '÷ (e)', 'peak RSS', `peak RSS, first ${base.equalCells.toLocaleString()} cells`, 'peak live', 'live after GC', 'live after GC, first cells', 'network', 'from cache'];
  const lines = results.map((r) => [
    `${(r.dataset as number).toLocaleString()} cells`,
    `${r.latencyMs as number} ms`,
    r.variant as string,
    r.workers === null ? '' : String(r.workers),
    r.tree as string,
    Math.round(r.cellsPerSecond as number).toLocaleString(),
    (r.runsCellsPerSecond as number[]).map((x) => Math.round(x).toLocaleString()).join(' / '),
    r.vsBaseline === null ? '' : `${(r.vsBaseline as number).toFixed(2)}×`,
    (r.cpuSecondsPer50k as number).toFixed(2),
    (r.systemCpuSecondsPer50k as number).toFixed(2),
    r.cpuVsBaseline === null ? '' : `${(r.cpuVsBaseline as number).toFixed(2)}×`,
    r.vsNaive === null ? '' : `${(r.vsNaive as number).toFixed(1)}×`,
    r.vsSequential === null ? '' : `${((r.vsSequential as number) * 100).toFixed(0)}%`,
    `${Math.round(r.peakRssMiB as number)} MiB`,
    `${Math.round(r.peakRssEqualWorkMiB as number)} MiB`,
    `${Math.round(r.peakLiveMiB as number)} MiB`,
    r.peakLiveAfterGcMiB === null ? '' : `${Math.round(r.peakLiveAfterGcMiB as number)} MiB`,
    r.peakLiveAfterGcEqualWorkMiB === null ? '' : `${Math.round(r.peakLiveAfterGcEqualWorkMiB as number)} MiB`,
    `${(r.networkMiB as number).toFixed(0)} MiB`,
    `${(r.cacheMiB as number).toFixed(0)} MiB`,
  ]);
  console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => ' --- ').join('|')}|`);
  for (const l of lines) console.log(`| ${l.join(' | ')} |`);
  console.log(`\nload average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  await mkdir('bench-results', { recursive: true });
  await writeFile('bench-results/loader.json', JSON.stringify({ date: new Date().toISOString(), cpus: cpus().length, loadavg: loadavg(), settings: { ...base, workers: workersList, repeat, baseline: baselineDir ?? null }, results }, null, 2));
  console.log('\nwrote bench-results/loader.json');
}

if (process.argv.includes('--child')) {
  const task = JSON.parse(process.argv[process.argv.indexOf('--child') + 1]!) as ChildTask;
  console.log(JSON.stringify(await runChild(task)));
  process.exit(0);
} else {
  await main();
}
