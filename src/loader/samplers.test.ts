import { describe, expect, it } from 'vitest';
import { LoaderParameterError } from './errors.ts';
import { resolveSamplingParameters, type SamplingParameters } from './params.ts';
import { createRng } from '../random.ts';
import { balancedSampler, randomChunkSampler, replacementSampler, sequentialSampler, type Sampler } from './samplers.ts';
import { allRows, selectionFromMask, selectionRows, shardSelection, splitSelection, type Selection } from './selection.ts';

/** Global row ids of every batch of one epoch, in order. */
function epochBatches(sampler: Sampler, epoch: number): Uint32Array[] {
  const out: Uint32Array[] = [];
  for (const plan of sampler.pools(epoch)) {
    // rows must be sorted and unique: they are what the loader reads
    for (let i = 1; i < plan.rows.length; i++) expect(plan.rows[i]!).toBeGreaterThan(plan.rows[i - 1]!);
    for (const b of plan.batches) out.push(Uint32Array.from(b, (p) => plan.rows[p]!));
  }
  return out;
}

function randomCase(seed: number): { selection: Selection; params: SamplingParameters; nRows: number } {
  const rng = createRng(seed, 99);
  const nRows = 1 + rng.int(3000);
  const mask = new Uint8Array(nRows);
  const density = rng.next();
  for (let i = 0; i < nRows; i++) mask[i] = rng.next() < 0.2 + density ? 1 : 0;
  mask[rng.int(nRows)] = 1;
  const batchSize = 1 + rng.int(64);
  const chunkSize = [1, 7, 16, 64, batchSize][rng.int(5)]!;
  const preloadNChunks = batchSize / gcd(batchSize, chunkSize);
  const params = resolveSamplingParameters({ batchSize, chunkSize, preloadNChunks, seed, dropLast: rng.next() < 0.5 });
  return { selection: selectionFromMask(mask), params, nRows };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

describe('parameters', () => {
  it('names the bad parameter', () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ batchSize: 0 }, 'batchSize'],
      [{ batchSize: 10, chunkSize: 2.5 }, 'chunkSize'],
      [{ batchSize: 10, preloadNChunks: -1 }, 'preloadNChunks'],
      [{ batchSize: 100, chunkSize: 64, preloadNChunks: 3 }, 'preloadNChunks'],
      [{ batchSize: 64, seed: -3 }, 'seed'],
      [{ batchSize: 64, shuffle: 'yes' }, 'shuffle'],
      [{ batchSize: 64, dropLast: 1 }, 'dropLast'],
    ];
    for (const [input, name] of bad) {
      let err: unknown;
      try {
        resolveSamplingParameters(input as unknown as SamplingParameters);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LoaderParameterError);
      expect((err as LoaderParameterError).parameter).toBe(name);
      expect((err as Error).message).toContain(name);
    }
  });

  it('fills annbatch defaults', () => {
    const p = resolveSamplingParameters({ batchSize: 4096 });
    expect(p).toMatchObject({ chunkSize: 512, preloadNChunks: 32, shuffle: true, dropLast: false, returnIndex: true });
  });
});

describe('random chunked sampler (without replacement)', () => {
  it('covers every selected row exactly once per epoch, batches full but the last', () => {
    for (let seed = 0; seed < 40; seed++) {
      const { selection, params } = randomCase(seed);
      const sampler = randomChunkSampler(selection, params);
      const batches = epochBatches(sampler, seed % 3);
      expect(batches.length).toBe(sampler.batchesPerEpoch);
      batches.slice(0, -1).forEach((b) => expect(b.length).toBe(params.batchSize));
      const seen = Uint32Array.from(batches.flatMap((b) => [...b])).sort();
      const expected = selectionRows(selection);
      if (params.dropLast) {
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen.length).toBe(Math.floor(selection.size / params.batchSize) * params.batchSize);
        for (const r of seen) expect(expected.includes(r)).toBe(true);
      } else {
        expect(seen).toEqual(expected);
      }
    }
  });

  it('is deterministic by seed and differs between epochs and seeds', () => {
    const params = resolveSamplingParameters({ batchSize: 32, chunkSize: 16, preloadNChunks: 4, seed: 7 });
    const sel = allRows(1000);
    const a = epochBatches(randomChunkSampler(sel, params), 0);
    const b = epochBatches(randomChunkSampler(sel, params), 0);
    expect(b).toEqual(a);
    expect(epochBatches(randomChunkSampler(sel, params), 1)).not.toEqual(a);
    expect(epochBatches(randomChunkSampler(sel, { ...params, seed: 8 }), 0)).not.toEqual(a);
  });

  it('reads whole chunks: a pool is preloadNChunks contiguous runs', () => {
    const params = resolveSamplingParameters({ batchSize: 64, chunkSize: 32, preloadNChunks: 4, seed: 1 });
    const plans = [...randomChunkSampler(allRows(4096), params).pools(0)];
    expect(plans.length).toBe(4096 / 128);
    for (const plan of plans) {
      let runs = 1;
      for (let i = 1; i < plan.rows.length; i++) if (plan.rows[i] !== plan.rows[i - 1]! + 1) runs++;
      expect(runs).toBeLessThanOrEqual(4);
      expect(plan.rows.length).toBe(128);
      for (let i = 0; i < plan.rows.length; i += 32) expect(plan.rows[i]! % 32).toBe(0);
    }
  });

  it('a short last chunk does not scatter later pools: rows carried to the next pool stay contiguous runs', () => {
    // 4010 rows: the last chunk is short, so pools are not whole batches and rows carry over
    const params = resolveSamplingParameters({ batchSize: 64, chunkSize: 32, preloadNChunks: 4, seed: 1 });
    const chunkRuns = (rows: Uint32Array): number => {
      let runs = 1;
      for (let i = 1; i < rows.length; i++) if (rows[i] !== rows[i - 1]! + 1 || rows[i]! % 32 === 0) runs++;
      return runs;
    };
    for (let epoch = 0; epoch < 5; epoch++) {
      const plans = [...randomChunkSampler(allRows(4010), params).pools(epoch)];
      // its own 4 chunks plus the carried rows, at most parts of 2 chunks (carry < one batch of 64 rows)
      for (const plan of plans) expect(chunkRuns(plan.rows)).toBeLessThanOrEqual(6);
      const read = plans.flatMap((p) => [...p.rows]).sort((x, y) => x - y);
      expect(read).toEqual(Array.from({ length: 4010 }, (_, i) => i));
    }
  });
});

describe('sequential and with-replacement samplers', () => {
  it('sequential yields rows in storage order', () => {
    const sel = selectionFromMask(Uint8Array.from({ length: 500 }, (_, i) => (i % 3 ? 1 : 0)));
    const params = resolveSamplingParameters({ batchSize: 50, chunkSize: 25, preloadNChunks: 2 });
    const flat = epochBatches(sequentialSampler(sel, params), 0).flatMap((b) => [...b]);
    expect(Uint32Array.from(flat)).toEqual(selectionRows(sel));
  });

  it('with replacement draws only selected rows, repeats some, and is seeded', () => {
    const sel = allRows(2000);
    const params = resolveSamplingParameters({ batchSize: 100, chunkSize: 50, preloadNChunks: 2, seed: 3 });
    const sampler = replacementSampler(sel, params);
    const flat = epochBatches(sampler, 0).flatMap((b) => [...b]);
    expect(flat.length).toBe(2000);
    expect(new Set(flat).size).toBeLessThan(2000);
    expect(flat.every((r) => r < 2000)).toBe(true);
    expect(epochBatches(replacementSampler(sel, params), 0)).toEqual(epochBatches(sampler, 0));
  });
});

describe('condition-balanced sampler', () => {
  it('puts every category in every batch in equal shares, even when one is rare', () => {
    const nRows = 5000;
    const codes = new Int32Array(nRows);
    const rng = createRng(5);
    for (let i = 0; i < nRows; i++) {
      const u = rng.next();
      codes[i] = u < 0.02 ? 0 : u < 0.3 ? 1 : u < 0.95 ? 2 : -1;
    }
    const params = resolveSamplingParameters({ batchSize: 64, chunkSize: 32, preloadNChunks: 8, seed: 11 });
    const sampler = balancedSampler(allRows(nRows), params, { codes, categories: ['a', 'b', 'c'], column: 'condition' });
    const batches = epochBatches(sampler, 0);
    expect(batches.length).toBe(sampler.batchesPerEpoch);
    for (const b of batches) {
      expect(b.length).toBe(64);
      const per = [0, 0, 0];
      for (const r of b) {
        expect(codes[r]).toBeGreaterThanOrEqual(0);
        per[codes[r]!]!++;
      }
      for (const n of per) expect(n === 21 || n === 22).toBe(true);
    }
    // the rare category is cycled in full: its rows are drawn equally often (±1)
    const times = new Map<number, number>([...codes.keys()].filter((r) => codes[r] === 0).map((r) => [r, 0]));
    for (const b of batches) for (const r of b) if (codes[r] === 0) times.set(r, times.get(r)! + 1);
    expect(Math.max(...times.values()) - Math.min(...times.values())).toBeLessThanOrEqual(1);
    expect(Math.min(...times.values())).toBeGreaterThanOrEqual(1);
    expect(epochBatches(balancedSampler(allRows(nRows), params, { codes, categories: ['a', 'b', 'c'], column: 'condition' }), 0)).toEqual(batches);
  });

  it('rejects a batch smaller than the number of categories', () => {
    const params = resolveSamplingParameters({ batchSize: 2, chunkSize: 2, preloadNChunks: 1 });
    expect(() => balancedSampler(allRows(3), params, { codes: Int32Array.of(0, 1, 2), categories: ['a', 'b', 'c'], column: 'c' })).toThrow(
      /batchSize/,
    );
  });
});

describe('splits and shards', () => {
  it('train/validation split is disjoint, covering, seeded and close to the fraction', () => {
    const sel = selectionFromMask(Uint8Array.from({ length: 20000 }, (_, i) => (i % 7 === 3 ? 0 : 1)));
    const { train, validation } = splitSelection(sel, { validationFraction: 0.2, seed: 4 });
    const t = selectionRows(train);
    const v = selectionRows(validation);
    expect(t.length + v.length).toBe(sel.size);
    const vs = new Set(v);
    expect(t.some((r) => vs.has(r))).toBe(false);
    expect(v.length / sel.size).toBeGreaterThan(0.18);
    expect(v.length / sel.size).toBeLessThan(0.22);
    expect(selectionRows(splitSelection(sel, { validationFraction: 0.2, seed: 4 }).validation)).toEqual(v);
    // the side of a row does not depend on the mask
    const other = splitSelection(selectionFromMask(new Uint8Array(20000).fill(1)), { validationFraction: 0.2, seed: 4 }).validation;
    const otherSet = new Set(selectionRows(other));
    expect([...v].every((r) => otherSet.has(r))).toBe(true);
    expect(() => splitSelection(sel, { validationFraction: 1, seed: 0 })).toThrow(/validationFraction/);
  });

  it('shards are disjoint, cover the selection and align to chunks', () => {
    for (let seed = 0; seed < 10; seed++) {
      const { selection, params } = randomCase(seed);
      const count = 1 + (seed % 5);
      const shards = Array.from({ length: count }, (_, i) => selectionRows(shardSelection(selection, i, count, params.chunkSize)));
      const flat = Uint32Array.from(shards.flatMap((s) => [...s]));
      expect(flat).toEqual(selectionRows(selection));
      for (const s of shards.slice(0, -1)) expect(s.length % params.chunkSize).toBe(0);
    }
  });
});
