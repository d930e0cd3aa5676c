// The public entry modules resolve by the package's name (package.json "exports"), as a library user
// imports them: from the sources under the `development` condition (Vite, Vitest), and from the
// build in lib/ (`npm run build:lib`) with its declarations otherwise (e2e/library.spec.ts imports that).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { libraryEntries } from '../vite.lib.config.ts';

// A computed specifier: the type checker does not resolve it (lib/types exists only after a build); Vitest does.
const load = (name: string): Promise<Record<string, unknown>> => import(/* @vite-ignore */ name);

describe('package exports', () => {
  it('trvae-web/source, /loader and /model expose their curated API', async () => {
    const source = await load('trvae-web/source');
    expect(typeof source.openSource).toBe('function');
    expect(typeof source.isSourceError).toBe('function');
    const loader = await load('trvae-web/loader');
    expect(typeof loader.openLoader).toBe('function');
    expect(typeof loader.balancedSampler).toBe('function');
    const model = await load('trvae-web/model');
    for (const name of ['prepareTraining', 'runTraining', 'exportRun', 'trainSource', 'predictCounterfactual', 'evaluatePrediction', 'simulatePerturbation', 'trainingOptionsFrom']) {
      expect(typeof model[name], name).toBe('function');
    }
  });

  it('every library entry is exported: its source, its built module and its declarations', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, Record<string, string> | string> };
    const built = Object.keys(pkg.exports).filter((k) => k !== './package.json');
    expect(built.sort()).toEqual(Object.keys(libraryEntries).map((name) => `./${name}`).sort());
    for (const [name, entry] of Object.entries(libraryEntries)) {
      const conditions = pkg.exports[`./${name}`] as Record<string, string>;
      // Conditions are matched in order: the sources for Vite first, declarations before the Node fallback.
      expect(Object.keys(conditions)[0]).toBe('development');
      expect(conditions.development).toBe(`./${entry}`);
      expect(conditions.default).toBe(`./lib/${name}.js`);
      // tsconfig.lib.json: rootDir src → outDir lib/types.
      expect(conditions.types).toBe(`./lib/types/${entry.replace(/^src\//, '').replace(/\.ts$/, '.d.ts')}`);
      expect(Object.keys(conditions).indexOf('types')).toBeLessThan(Object.keys(conditions).indexOf('default'));
    }
  });
});
