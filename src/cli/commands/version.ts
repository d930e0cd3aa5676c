import { readFileSync } from 'node:fs';
import type { CliCommand } from '../main.ts';

export const command: CliCommand = {
  summary: 'print the version of trvae-web',
  usage: 'trvae-web version',
  async run() {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    console.log(pkg.version);
    return 0;
  },
};
