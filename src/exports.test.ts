// The public entry modules resolve by the package's name (package.json "exports"), as a library user imports them.
import { describe, expect, it } from 'vitest';

describe('package exports', () => {
  it('trvae-web/source, /loader and /model expose their curated API', async () => {
    const source = await import('trvae-web/source');
    expect(typeof source.openSource).toBe('function');
    expect(typeof source.isSourceError).toBe('function');
    const loader = await import('trvae-web/loader');
    expect(typeof loader.openLoader).toBe('function');
    expect(typeof loader.balancedSampler).toBe('function');
    const model = await import('trvae-web/model');
    for (const name of ['prepareTraining', 'runTraining', 'exportRun', 'trainSource', 'predictCounterfactual', 'evaluatePrediction', 'simulatePerturbation', 'trainingOptionsFrom']) {
      expect(typeof (model as Record<string, unknown>)[name], name).toBe('function');
    }
  });
});
