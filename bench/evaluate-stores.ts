// The evaluation protocol's simulations in Node: a temporary directory, removed afterwards.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { directorySink } from '../src/convert/sink.ts';
import { openSource } from '../src/source/index.ts';
import type { SimulationStores } from './evaluate-protocol.ts';

export async function temporaryStores(): Promise<SimulationStores> {
  const dir = await mkdtemp(join(tmpdir(), 'trvae-evaluate-'));
  return {
    async create(name) {
      const path = join(dir, name);
      return { sink: await directorySink(path), open: () => openSource(path) };
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
