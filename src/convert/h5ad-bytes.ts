// An .h5ad as bytes (a download, a file written by the CLI): written by h5wasm into its in-memory
// file system in a browser, or into a temporary file in Node (h5wasm/node writes real paths).
import { writeH5ad, type H5adInput } from './h5ad-writer.ts';

const inNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
// Node-only module, hidden from the browser bundle.
const nodeWriter = './h5ad-bytes.node.ts';

let serial = 0;

export async function h5adBytes(input: H5adInput): Promise<Uint8Array> {
  if (inNode) {
    const { h5adBytesNode } = (await import(/* @vite-ignore */ nodeWriter)) as typeof import('./h5ad-bytes.node.ts');
    return h5adBytesNode(input);
  }
  const h5wasm = await import('h5wasm');
  const module = await h5wasm.default.ready;
  const fs = h5wasm.FS ?? module.FS;
  const path = `/trvae-results-${serial++}.h5ad`;
  try {
    writeH5ad(h5wasm.default, path, input);
    return fs.readFile(path);
  } finally {
    try {
      fs.unlink(path);
    } catch {
      // never written
    }
  }
}
