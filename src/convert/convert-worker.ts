// The page's side of the convert worker: start it and talk to it with typed errors.
import type * as Comlink from 'comlink';
import { registerErrorClasses } from '../rpc/errors.ts';
import { wrapWorkerApi } from '../rpc/expose.ts';
import type { ConvertWorkerApi } from './convert-worker-api.ts';
import { ConvertError } from './convert.ts';

export interface ConvertWorker {
  readonly api: Comlink.Remote<ConvertWorkerApi>;
  readonly worker: Worker;
}

export function spawnConvertWorker(): ConvertWorker {
  registerErrorClasses({ ConvertError });
  const worker = new Worker(new URL('../../workers/convert.worker.ts', import.meta.url), { type: 'module', name: 'convert' });
  return { api: wrapWorkerApi<ConvertWorkerApi>(worker), worker };
}
