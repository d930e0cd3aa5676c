// Generates the loader benchmark's Tahoe-like datasets with our zarr v3 writer (cached under
// bench-results/data/, which git ignores):  tsx bench/loader-data.ts [--cells 200000] [--genes 20000] [--nnz 1500]
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAnnDataGroup } from '../src/convert/anndata-writer.ts';
import { directorySink } from '../src/convert/sink.ts';
import { syntheticAnnData } from '../src/convert/synthetic.ts';
import { writeConsolidatedRoot, type NodeMetadata } from '../src/convert/zarr-v3.ts';

export const dataDir = 'bench-results/data';

export interface DatasetSpec {
  readonly nObs: number;
  readonly nVars: number;
  readonly nnzPerRow: number;
}

export function datasetName(spec: DatasetSpec): string {
  return `tahoe-like-${spec.nObs}x${spec.nVars}-${spec.nnzPerRow}.zarr`;
}

/** Writes the dataset unless a complete copy exists; returns its directory name under dataDir. */
export async function ensureDataset(spec: DatasetSpec, log: (line: string) => void = console.log): Promise<string> {
  const name = datasetName(spec);
  const dir = join(dataDir, name);
  const marker = join(dataDir, `${name}.complete.json`);
  if (existsSync(marker)) {
    const done = JSON.parse(await readFile(marker, 'utf8')) as DatasetSpec;
    if (done.nObs === spec.nObs && done.nVars === spec.nVars && done.nnzPerRow === spec.nnzPerRow) return name;
  }
  await rm(dir, { recursive: true, force: true });
  const sink = await directorySink(dir);
  const nodes: NodeMetadata = new Map();
  const t0 = performance.now();
  let last = 0;
  await writeAnnDataGroup(sink, nodes, '', syntheticAnnData({ ...spec, seed: 1 }), {
    layout: { chunkRows: 64, shardBytes: 256 * 2 ** 20 },
    onRows: (rows) => {
      if (rows - last >= 50_000 || rows === spec.nObs) {
        last = rows;
        log(`  generated ${rows.toLocaleString()} / ${spec.nObs.toLocaleString()} cells (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      }
    },
  });
  await writeConsolidatedRoot(sink, nodes, { 'encoding-type': 'anndata', 'encoding-version': '0.1.0' });
  await writeFile(marker, JSON.stringify(spec));
  return name;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (flag: string, fallback: number) => {
    const i = process.argv.indexOf(flag);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const spec = { nObs: arg('--cells', 200_000), nVars: arg('--genes', 20_000), nnzPerRow: arg('--nnz', 1500) };
  const name = await ensureDataset(spec);
  console.log(join(dataDir, name));
}
