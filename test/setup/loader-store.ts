// Global test server for the loader's browser tests: a synthetic zarr v3 store written by our
// writer, served over HTTP, plus a counter endpoint so tests can see how many requests reached
// the network (a warm OPFS cache must make none).
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { writeAnnDataGroup } from '../../src/convert/anndata-writer.ts';
import { directorySink } from '../../src/convert/sink.ts';
import { syntheticAnnData } from '../../src/convert/synthetic.ts';
import { writeConsolidatedRoot, type NodeMetadata } from '../../src/convert/zarr-v3.ts';
import { startStaticServer } from '../../src/server/static-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A 2,000 × 300 synthetic store (`${url}/store.zarr`) and a GET endpoint returning {requests, dataRequests (under X/), recent: the last 50}. */
    loaderStore: { url: string; countUrl: string; nObs: number; nVars: number };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'trvae-loader-store-'));
  const nObs = 2000;
  const nVars = 300;
  const nodes: NodeMetadata = new Map();
  const sink = await directorySink(join(root, 'store.zarr'));
  await writeAnnDataGroup(sink, nodes, '', syntheticAnnData({ nObs, nVars, nnzPerRow: 30, seed: 7 }), { layout: { chunkRows: 16, shardBytes: 32 * 1024 } });
  await writeConsolidatedRoot(sink, nodes, { 'encoding-type': 'anndata', 'encoding-version': '0.1.0' });
  let requests = 0;
  let dataRequests = 0;
  const recent: string[] = [];
  const server = await startStaticServer(root, {
    onRequest: (e) => {
      requests++;
      if (e.path.includes('/X/')) dataRequests++;
      recent.push(`${e.method} ${e.path} ${e.range ?? ''} ${e.status}`);
      if (recent.length > 50) recent.shift();
    },
  });
  const counter = createServer((_req, res) => {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Access-Control-Allow-Origin': '*',
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'Cache-Control': 'no-store',
    });
    res.end(JSON.stringify({ requests, dataRequests, recent }));
  });
  await new Promise<void>((done) => counter.listen(0, '127.0.0.1', done));
  const countUrl = `http://127.0.0.1:${(counter.address() as AddressInfo).port}/`;
  project.provide('loaderStore', { url: `${server.url}/store.zarr`, countUrl, nObs, nVars });
  return async () => {
    await server.close();
    await new Promise<void>((done) => counter.close(() => done()));
    await rm(root, { recursive: true, force: true });
  };
}
