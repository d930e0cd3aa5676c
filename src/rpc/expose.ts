// Both ends of every worker boundary: expose an API in the worker, wrap it on the caller's side.
// Each installs the error transfer (src/rpc/errors.ts) first, so typed errors cross both ways.
import * as Comlink from 'comlink';
import { installErrorTransfer } from './errors.ts';

/** In a worker: serve `api` on `endpoint` (default: the dedicated worker's own scope). */
export function exposeWorkerApi(api: object, endpoint?: Comlink.Endpoint): void {
  installErrorTransfer();
  Comlink.expose(api, endpoint);
}

/** A started worker: its API, and how to stop it. */
export interface RemoteWorker<T> {
  readonly api: Comlink.Remote<T>;
  terminate(): void;
}

/** On the caller's side: the worker's API behind `endpoint` (a Worker, or a Node worker through comlink's node adapter). */
export function wrapWorkerApi<T>(endpoint: Comlink.Endpoint): Comlink.Remote<T> {
  installErrorTransfer();
  return Comlink.wrap<T>(endpoint);
}
