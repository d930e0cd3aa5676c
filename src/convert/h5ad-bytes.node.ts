// h5adBytes in Node: h5wasm/node writes a temporary file, whose bytes are returned.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeH5ad, type H5adInput } from './h5ad-writer.ts';

export async function h5adBytesNode(input: H5adInput): Promise<Uint8Array> {
  const h5 = (await import('h5wasm/node')).default;
  await h5.ready;
  const dir = await mkdtemp(join(tmpdir(), 'trvae-h5ad-'));
  try {
    const path = join(dir, 'out.h5ad');
    writeH5ad(h5, path, input);
    return new Uint8Array(await readFile(path));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
