import { describe, expect, it } from 'vitest';
import { openSource } from '../../source/index.ts';
import { denseRows } from '../batch.ts';
import { loadExpression, readCategorical } from '../dataset.ts';
import { openTrainingLoaders, poolGeometry } from './loader-batches.ts';

const fixture = new URL('../fixtures/sim.h5ad', import.meta.url).pathname;

describe('training batches from the loader', () => {
  it('filters the held-out cells, splits train/validation disjointly, and its pools normalise to the in-memory rows', async () => {
    const source = await openSource(fixture);
    try {
      const genes = Int32Array.from([5, 0, 17, 3]);
      const loaders = await openTrainingLoaders(source, {
        conditionKey: 'condition', genes, input: 'counts', batchSize: 32, validationFraction: 0.25, seed: 4,
        holdout: { cellTypeKey: 'cell_type', cellType: 'B', condition: 'stim' },
      });
      const cellTypes = await readCategorical(source, 'cell_type', 'cell type');
      const conditions = await readCategorical(source, 'condition', 'condition');
      const seen = { train: new Set<number>(), validation: new Set<number>() };
      for await (const b of loaders.batches(0)) {
        expect(b.conditions.length).toBe(32); // full batches only
        const rows = [...b.rows!];
        rows.forEach((r, i) => expect(b.conditions[i]).toBe(conditions.codes[r]));
        for (const r of rows) seen.train.add(r);
        // The batch's x is the same normalisation as the in-memory path.
        const sorted = [...rows].sort((a, c) => a - c);
        const expected = await loadExpression(source, genes, { input: 'counts' }, sorted);
        const k = rows.indexOf(sorted[0]);
        expect([...denseRows(b).subarray(k * 4, k * 4 + 4)]).toEqual([...expected.subarray(0, 4)]);
      }
      for await (const b of loaders.validationBatches!()) for (const r of b.rows!) seen.validation.add(r);
      await loaders.close();
      const heldOut = (r: number) => cellTypes.categories[cellTypes.codes[r]] === 'B' && conditions.categories[conditions.codes[r]] === 'stim';
      for (const r of [...seen.train, ...seen.validation]) expect(heldOut(r)).toBe(false);
      for (const r of seen.train) expect(seen.validation.has(r)).toBe(false);
      expect(seen.validation.size).toBe(loaders.sizes.validation);
      expect(loaders.sizes.train + loaders.sizes.validation).toBe(300);
      expect(seen.train.size).toBe(Math.floor(loaders.sizes.train / 32) * 32);
    } finally {
      await source.close();
    }
  });
});

describe('poolGeometry', () => {
  it('gives pools that hold whole batches for any batch size', () => {
    for (const batchSize of [1, 7, 100, 128, 500, 512, 1000, 4096, 10_000]) {
      const { chunkSize, preloadNChunks } = poolGeometry(batchSize);
      expect((chunkSize * preloadNChunks) % batchSize, `batch ${batchSize}`).toBe(0);
      expect(chunkSize * preloadNChunks).toBeGreaterThanOrEqual(batchSize);
    }
    expect(poolGeometry(512)).toEqual({ chunkSize: 512, preloadNChunks: 32 });
  });
});
