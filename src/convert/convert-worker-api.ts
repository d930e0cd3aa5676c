// What the convert worker (workers/convert.worker.ts) does: save a local copy of an opened AnnData
// into OPFS as a sharded zarr v3 store (annbatch layout), so that compressing a large dataset
// never blocks the page.
import { opfsStoresFolder } from '../source/opfs-store.ts';
import { openSource, type SourceInput } from '../source/index.ts';
import { convertAnnData, type ConvertOptions, type ConvertProgress, type ConvertSummary } from './convert.ts';
import { SaveCopyError } from './save-copy-error.ts';
import { opfsSink } from './sink.ts';

export interface ConvertWorkerApi {
  /** Writes `input` to OPFS `stores/<name>`; refuses a name already taken; removes a half-written copy on failure. */
  save(input: SourceInput, name: string, options: Pick<ConvertOptions, 'shuffle' | 'seed'>, onProgress?: (progress: ConvertProgress) => void): Promise<ConvertSummary>;
  /** Aborts the save in progress. */
  cancel(): void;
}

export function createConvertWorkerApi(): ConvertWorkerApi {
  let abort: AbortController | undefined;
  return {
    async save(input, name, options, onProgress) {
      if (abort) throw new SaveCopyError('busy', 'a copy is already being saved');
      if (!/^[\w.-]+$/.test(name)) throw new SaveCopyError('invalid-name', `"${name}" is not a valid store name (letters, digits, '.', '_' and '-')`);
      const stores = await (await navigator.storage.getDirectory()).getDirectoryHandle(opfsStoresFolder, { create: true });
      const taken = await stores.getDirectoryHandle(name).then(
        () => true,
        () => false,
      );
      if (taken) throw new SaveCopyError('name-taken', `a local store named "${name}" already exists; delete it first`);
      const controller = new AbortController();
      abort = controller;
      const source = await openSource(input, { signal: controller.signal }).catch((error: unknown) => {
        abort = undefined;
        throw error;
      });
      const dir = await stores.getDirectoryHandle(name, { create: true });
      try {
        return await convertAnnData(source, opfsSink(dir, `opfs:${opfsStoresFolder}/${name}`), { ...options, signal: controller.signal, onProgress });
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
}
