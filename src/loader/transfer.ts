// Byte and request counters, shared by the store wrappers (network, cache) and read by progress.

export interface TransferStats {
  networkBytes: number;
  networkRequests: number;
  cacheBytes: number;
  cacheRequests: number;
}

export function createTransferStats(): TransferStats {
  return { networkBytes: 0, networkRequests: 0, cacheBytes: 0, cacheRequests: 0 };
}

export function addTransferStats(into: TransferStats, delta: Readonly<TransferStats>): void {
  into.networkBytes += delta.networkBytes;
  into.networkRequests += delta.networkRequests;
  into.cacheBytes += delta.cacheBytes;
  into.cacheRequests += delta.cacheRequests;
}
