import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { convertAnnData } from '../../convert/convert.ts';
import { directorySink } from '../../convert/sink.ts';
import { openSource } from '../../source/index.ts';
import type { CliCommand } from '../main.ts';

const usage = `usage: trvae-web convert <src> <dst.zarr> [--shuffle] [--seed N] [--chunk-rows 64] [--shard-mb 256] [--dataset-mb 2048]

Writes an AnnData (zarr URL or directory, or .h5ad) as a zarr v3 store in annbatch's layout:
sharded (sharding_indexed, crc32c index), blosc-lz4 with byte shuffle, X indices in the smallest
dtype, obs/var in anndata's encoding, consolidated metadata.
  --shuffle        write annbatch's pre-shuffled collection (dataset_0, dataset_1, …): runs of 1000
                   rows in random order, each dataset fully permuted
  --seed N         seed of the pre-shuffle (default 0)
  --chunk-rows N   rows per inner chunk (default 64)
  --shard-mb N     uncompressed MiB per shard (default 256)
  --dataset-mb N   pre-shuffle: uncompressed MiB per dataset, each loaded whole (default 2048)
<dst.zarr> must not exist (or be an empty directory); the source is never modified.`;

function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} needs a positive number, got "${value ?? ''}"`);
  return n;
}

export const command: CliCommand = {
  summary: 'write AnnData as a sharded zarr v3 store (annbatch layout, optional pre-shuffle)',
  usage,
  async run(args) {
    const positional: string[] = [];
    let shuffle = false;
    let seed = 0;
    let chunkRows = 64;
    let shardMb = 256;
    let datasetMb = 2048;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg === '--shuffle') shuffle = true;
      else if (arg === '--seed') {
        seed = Number(args[++i]);
        if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`--seed needs an integer in [0, 2^32 − 1], got "${args[i] ?? ''}"`);
      }
      else if (arg === '--chunk-rows') chunkRows = Math.floor(positive('--chunk-rows', args[++i]));
      else if (arg === '--shard-mb') shardMb = positive('--shard-mb', args[++i]);
      else if (arg === '--dataset-mb') datasetMb = positive('--dataset-mb', args[++i]);
      else if (arg.startsWith('--')) {
        console.error(`unknown option "${arg}"\n\n${usage}`);
        return 2;
      } else positional.push(arg);
    }
    if (positional.length !== 2) {
      console.error(usage);
      return 2;
    }
    const [src, dst] = positional as [string, string];
    const target = resolve(dst);
    if (existsSync(target) && readdirSync(target).length > 0) {
      console.error(`trvae-web convert: ${dst} already exists and is not empty; choose a new destination (nothing was written)`);
      return 1;
    }
    const source = await openSource(src);
    const sink = await directorySink(target);
    let lastPercent = -1;
    const started = performance.now();
    try {
      const summary = await convertAnnData(source, sink, {
        shuffle,
        seed,
        layout: { chunkRows, shardBytes: shardMb * 2 ** 20 },
        datasetBytes: datasetMb * 2 ** 20,
        onProgress: ({ phase, rows, totalRows }) => {
          const percent = Math.floor((100 * rows) / Math.max(1, totalRows));
          if (phase === 'writing' && percent !== lastPercent && percent % 10 === 0) {
            lastPercent = percent;
            console.error(`  ${rows.toLocaleString()} / ${totalRows.toLocaleString()} cells`);
          }
        },
      });
      const seconds = (performance.now() - started) / 1000;
      console.log(
        JSON.stringify({ destination: target, n_obs: summary.nObs, n_vars: summary.nVars, X: summary.encoding, datasets: summary.datasets, seconds: Number(seconds.toFixed(1)) }),
      );
      return 0;
    } catch (error) {
      // a failed conversion leaves no half-written store behind
      await rm(target, { recursive: true, force: true });
      throw error;
    } finally {
      await source.close();
    }
  },
};
