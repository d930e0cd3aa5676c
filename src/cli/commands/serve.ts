import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { startStaticServer } from '../../server/static-server.ts';
import type { CliCommand } from '../main.ts';

const usage = `usage: trvae-web serve <dir> [--port 8080] [--latency-ms 0] [--bytes-per-second N]

Serves a directory (e.g. zarr stores) on http://127.0.0.1 with HTTP Range, HEAD, correct
Content-Length, ETag/Last-Modified and CORS (Content-Range, Content-Length and ETag exposed), so
the app can open a local store by URL. --latency-ms and --bytes-per-second simulate a remote host.
Stops on Ctrl-C.`;

function nonNegative(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} needs a non-negative number, got "${value ?? ''}"`);
  return n;
}

export const command: CliCommand = {
  summary: 'serve a directory of stores over HTTP with Range and CORS',
  usage,
  async run(args) {
    let dir: string | undefined;
    let port = 8080;
    let latencyMs = 0;
    let bytesPerSecond: number | undefined;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg === '--port') port = nonNegative('--port', args[++i]);
      else if (arg === '--latency-ms') latencyMs = nonNegative('--latency-ms', args[++i]);
      else if (arg === '--bytes-per-second') bytesPerSecond = nonNegative('--bytes-per-second', args[++i]);
      else if (arg.startsWith('--') || dir !== undefined) {
        console.error(`unexpected argument "${arg}"\n\n${usage}`);
        return 2;
      } else dir = arg;
    }
    if (dir === undefined) {
      console.error(usage);
      return 2;
    }
    const root = resolve(dir);
    if (!existsSync(root) || !statSync(root).isDirectory()) {
      console.error(`trvae-web serve: ${dir} is not a directory`);
      return 1;
    }
    const server = await startStaticServer(root, { port, latencyMs, ...(bytesPerSecond ? { bytesPerSecond } : {}) });
    console.log(`serving ${root} at ${server.url}/ (Ctrl-C to stop)`);
    await new Promise<void>((done) => {
      const stop = () => done();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
    return 0;
  },
};
