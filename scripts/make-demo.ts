// The bundled demo: a simulated perturbation experiment with known truth (src/model/perturbation-sim.ts:
// 6 PBMC-like cell types in two lineages, control and stimulated, a shared response whose strength
// differs by cell type plus lineage and cell-type-private responses; raw negative-binomial counts in
// X), written as a sharded zarr v3 AnnData store by the project's own writer. (The small demo.h5ad
// for the drop path is written by real anndata: scripts/make-demo-h5ad.py.)
//
//   npx tsx scripts/make-demo.ts public/demo      # writes public/demo/demo.zarr (replaced)
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAnnDataStore } from '../src/convert/anndata-writer.ts';
import { directorySink } from '../src/convert/sink.ts';
import { perturbationAnnData, simulatePerturbation } from '../src/model/perturbation-sim.ts';

export const demoShape = { cells: 10_000, genes: 2_000, seed: 20201115 } as const;

async function main(out: string): Promise<void> {
  const started = performance.now();
  const sim = simulatePerturbation({ nCells: demoShape.cells, nGenes: demoShape.genes, seed: demoShape.seed });
  const store = join(out, 'demo.zarr');
  await rm(store, { recursive: true, force: true });
  // Shards of ~4 MB: a remote reader fetches a few shards, not one file per 64-row chunk.
  await writeAnnDataStore(await directorySink(store), perturbationAnnData(sim), { layout: { chunkRows: 64, shardBytes: 4 * 2 ** 20 } });

  console.log(`demo: ${demoShape.cells} cells × ${demoShape.genes} genes → ${store} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

await main(process.argv[2] ?? 'public/demo');
