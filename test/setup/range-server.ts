// Global test servers: test/fixtures over HTTP on 127.0.0.1, once well-behaved and once per fault
// mode, so Node and browser tests read real stores over real HTTP.

import type { TestProject } from 'vitest/node';
import { startStaticServer, type StaticServer, type StaticServerFault } from '../../src/server/static-server.ts';

export type FixtureServerVariant = 'ok' | 'ignore-range' | 'no-content-range' | 'no-cors' | 'truncate' | 'short-body' | 'status-403' | 'status-404' | 'status-500';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL (no trailing slash) of test/fixtures served by each server variant. */
    fixtureServers: Record<FixtureServerVariant, string>;
  }
}

const faults: Record<FixtureServerVariant, StaticServerFault | undefined> = {
  ok: undefined,
  'ignore-range': 'ignore-range',
  'no-content-range': 'no-content-range',
  'no-cors': 'no-cors',
  truncate: 'truncate',
  'short-body': 'short-body',
  'status-403': { status: 403 },
  'status-404': { status: 404 },
  'status-500': { status: 500 },
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = new URL('../fixtures/', import.meta.url).pathname;
  const servers: StaticServer[] = [];
  const urls = {} as Record<FixtureServerVariant, string>;
  for (const [variant, fault] of Object.entries(faults) as [FixtureServerVariant, StaticServerFault | undefined][]) {
    const server = await startStaticServer(root, fault ? { fault } : {});
    servers.push(server);
    urls[variant] = server.url;
  }
  project.provide('fixtureServers', urls);
  return async () => {
    await Promise.all(servers.map((s) => s.close()));
  };
}
