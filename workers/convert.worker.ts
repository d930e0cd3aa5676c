// Saves a local copy of an opened AnnData into OPFS as a sharded zarr v3 store (annbatch layout),
// in a worker so that compressing a large dataset never blocks the page. Driven through comlink.

import * as Comlink from 'comlink';
import { convertAnnData, type ConvertOptions, type ConvertProgress, type ConvertSummary } from '../src/convert/convert.ts';
import { opfsSink } from '../src/convert/sink.ts';
import { installFastBlosc } from '../src/loader/codecs/blosc.ts';
import { opfsStoresFolder } from '../src/source/opfs-store.ts';
import { openSource, type SourceInput } from '../src/source/index.ts';

installFastBlosc();

let abort: AbortController | undefined;

const api = {
  /** Writes `input` to OPFS `stores/<name>`; refuses a name already taken; removes a half-written copy on failure. */
  async save(
    input: SourceInput,
    name: string,
    options: Pick<ConvertOptions, 'shuffle' | 'seed'>,
    onProgress?: (progress: ConvertProgress) => void,
  ): Promise<ConvertSummary> {
    if (abort) throw new Error('a copy is already being saved');
    if (!/^[\w.-]+$/.test(name)) throw new Error(`"${name}" is not a valid store name (letters, digits, '.', '_' and '-')`);
    const stores = await (await navigator.storage.getDirectory()).getDirectoryHandle(opfsStoresFolder, { create: true });
    const taken = await stores.getDirectoryHandle(name).then(
      () => true,
      () => false,
    );
    if (taken) throw new Error(`a local store named "${name}" already exists; delete it first`);
    abort = new AbortController();
    const source = await openSource(input, { signal: abort.signal }).catch((error: unknown) => {
      abort = undefined;
      throw error;
    });
    const dir = await stores.getDirectoryHandle(name, { create: true });
    try {
      return await convertAnnData(source, opfsSink(dir, `opfs:${opfsStoresFolder}/${name}`), { ...options, signal: abort.signal, onProgress });
    } catch (error) {
      await stores.removeEntry(name, { recursive: true }).catch(() => {});
      throw error;
    } finally {
      abort = undefined;
      await source.close();
    }
  },
  cancel: () => abort?.abort(),
};

export type ConvertWorkerApi = typeof api;

Comlink.expose(api);
