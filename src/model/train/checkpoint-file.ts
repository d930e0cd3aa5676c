// Checkpoint (de)serialisation — a JSON header and the float32 arrays after it — and its storage
// in the origin-private file system (OPFS).

import { TrvaeError } from '../../errors.ts';
import type { NamedArrays } from '../trvae/params.ts';
import type { ModelState } from './state.ts';
import type { Checkpoint } from './train.ts';

const MAGIC = 'TRVAECK1';

type Header = Omit<Checkpoint, 'state'> & {
  readonly state: { readonly step: number; readonly arrays: { readonly group: string; readonly name: string; readonly length: number }[] };
};

export class CheckpointError extends TrvaeError {
  override readonly name = 'CheckpointError';
  readonly code = 'invalid-checkpoint';
}

export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const groups: [string, NamedArrays][] = [['params', checkpoint.state.params], ['stats', checkpoint.state.stats], ['adamM', checkpoint.state.adamM], ['adamV', checkpoint.state.adamV]];
  const arrays = groups.flatMap(([group, map]) => [...map].map(([name, v]) => ({ group, name, v })));
  const header: Header = { ...checkpoint, state: { step: checkpoint.state.step, arrays: arrays.map(({ group, name, v }) => ({ group, name, length: v.length })) } };
  const json = new TextEncoder().encode(JSON.stringify(header));
  // magic (8) | header length (4) | header | padding to 4 | float32 data
  const dataOffset = Math.ceil((12 + json.length) / 4) * 4;
  const total = dataOffset + arrays.reduce((s, a) => s + a.v.length * 4, 0);
  const out = new Uint8Array(total);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, 12);
  let offset = dataOffset;
  for (const { v } of arrays) {
    out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), offset);
    offset += v.byteLength;
  }
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw new CheckpointError('not a trvae-web checkpoint (bad magic bytes)');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as Header;
  let offset = Math.ceil((12 + headerLength) / 4) * 4;
  const groups: Record<string, Map<string, Float32Array>> = { params: new Map(), stats: new Map(), adamM: new Map(), adamV: new Map() };
  for (const a of header.state.arrays) {
    if (offset + a.length * 4 > bytes.length) throw new CheckpointError(`checkpoint is truncated (array "${a.name}")`);
    groups[a.group].set(a.name, new Float32Array(bytes.slice(offset, offset + a.length * 4).buffer));
    offset += a.length * 4;
  }
  const state: ModelState = { params: groups.params, stats: groups.stats, adamM: groups.adamM, adamV: groups.adamV, step: header.state.step };
  // JSON writes Infinity (no improvement seen yet) as null.
  const best = { ...header.best, monitor: header.best.monitor ?? Number.POSITIVE_INFINITY };
  return { ...header, best, state };
}

async function checkpointDirectory(): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle('trvae-checkpoints', { create: true });
}

export async function saveCheckpoint(name: string, checkpoint: Checkpoint): Promise<number> {
  const bytes = encodeCheckpoint(checkpoint);
  const { quota, usage } = await navigator.storage.estimate();
  if (quota !== undefined && usage !== undefined && quota - usage < bytes.length) {
    throw new CheckpointError(`not enough browser storage for the checkpoint (${bytes.length} bytes needed, ${quota - usage} free); free space or delete old checkpoints`);
  }
  const file = await (await checkpointDirectory()).getFileHandle(`${name}.ckpt`, { create: true });
  const writable = await file.createWritable();
  try {
    await writable.write(bytes as Uint8Array<ArrayBuffer>);
    await writable.close();
  } catch (e) {
    await writable.abort().catch(() => {});
    if ((e as DOMException).name === 'QuotaExceededError') throw new CheckpointError(`browser storage quota exceeded while writing checkpoint "${name}"`);
    throw e;
  }
  return bytes.length;
}

/** The checkpoint stored under `name`, or undefined when there is none. */
export async function loadCheckpoint(name: string): Promise<Checkpoint | undefined> {
  let file: FileSystemFileHandle;
  try {
    file = await (await checkpointDirectory()).getFileHandle(`${name}.ckpt`);
  } catch (e) {
    if ((e as DOMException).name === 'NotFoundError') return undefined;
    throw e;
  }
  return decodeCheckpoint(new Uint8Array(await (await file.getFile()).arrayBuffer()));
}

export async function deleteCheckpoint(name: string): Promise<void> {
  await (await checkpointDirectory()).removeEntry(`${name}.ckpt`).catch((e: DOMException) => {
    if (e.name !== 'NotFoundError') throw e;
  });
}
