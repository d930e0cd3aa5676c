#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx, so Node and the browser share one code base.
import { registerTypeScript } from './ts-loader.mjs';

registerTypeScript();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
