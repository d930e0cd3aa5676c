import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseHoldout } from '../../model/dataset.ts';
import { evaluateHoldout } from '../../model/evaluate-holdout.ts';
import { parseModelJson } from '../../model/export.ts';
import type { CliCommand } from '../main.ts';

const usage = `usage: trvae-web evaluate <url-or-path> --model DIR [--holdout CELLTYPE:CONDITION] [options]

Predicts CELLTYPE's cells from the source condition into CONDITION with the exported model in DIR
(trVAE, CVAE or scGen) and prints the paper's R² table: per-gene means and variances, on all genes
and on the top DEGs (Wilcoxon, CONDITION vs source within the cell type), averaged over bootstrap
resamples. Any two of the model's conditions, for the held-out pair or a seen one.

  --holdout CT:COND       cell type and target condition (default: the model's held-out pair)
  --source-condition C    condition to predict from (default: the first other condition)
  --degs N                number of top DEGs (default 100)
  --bootstrap N           bootstrap resamples (default 100)
  --seed S                default 0
  --mean-latent           use z = mu instead of sampling z (the paper samples)
  --json                  print JSON instead of a table`;

export const command: CliCommand = {
  summary: "evaluate a trained model on a held-out cell type (the paper's R² table)",
  usage,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        model: { type: 'string' }, holdout: { type: 'string' }, 'source-condition': { type: 'string' }, degs: { type: 'string' },
        bootstrap: { type: 'string' }, seed: { type: 'string' }, 'mean-latent': { type: 'boolean' }, json: { type: 'boolean' },
      },
    });
    if (positionals.length !== 1 || !values.model) {
      console.error(usage);
      return 2;
    }
    const int = (name: string, v: string | undefined, fallback: number) => {
      if (v === undefined) return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} needs a non-negative integer, got "${v}"`);
      return n;
    };
    const model = parseModelJson(await readFile(join(values.model, 'model.json'), 'utf8'));
    const holdout = values.holdout ? parseHoldout(values.holdout) : model.holdout;
    if (!holdout) throw new Error('the model has no held-out pair: name the cell type and target condition with --holdout CELLTYPE:CONDITION');
    const dir = values.model;
    const graphs = Object.fromEntries(await Promise.all(Object.entries(model.graphs).map(async ([kind, g]) => [kind, new Uint8Array(await readFile(join(dir, g.file)))] as const)));
    const { openSource } = await import('../../source/index.ts');
    const source = await openSource(positionals[0]);
    try {
      const result = await evaluateHoldout(source, model, graphs, {
        holdout,
        sourceCondition: values['source-condition'],
        nDegs: int('degs', values.degs, 100),
        bootstrap: int('bootstrap', values.bootstrap, 100),
        seed: int('seed', values.seed, 0),
        sampleLatent: !values['mean-latent'],
      });
      if (values.json) {
        const { degs: _degs, ...rest } = result;
        console.log(JSON.stringify(rest, null, 2));
        return 0;
      }
      const f = (x: number) => x.toFixed(3);
      const m = result.bootstrapMean;
      const s = result.bootstrapStd;
      const pair = result.heldOut ? 'held-out pair' : 'seen in training';
      console.log(`${result.model} · ${result.holdout.cellType}: ${result.sourceCondition} → ${result.holdout.condition}, ${pair} (${result.cells.source} source cells, ${result.cells.target} real target cells)`);
      console.log(`R² (mean ± std over ${result.bootstrapSamples} bootstrap resamples)`);
      console.log(`                 all genes        top ${result.degNames.length} DEGs`);
      console.log(`  means          ${f(m.meanAll)} ± ${f(s.meanAll)}    ${f(m.meanTop)} ± ${f(s.meanTop)}`);
      console.log(`  variances      ${f(m.varianceAll)} ± ${f(s.varianceAll)}    ${f(m.varianceTop)} ± ${f(s.varianceTop)}`);
      console.log(`top DEGs: Pearson r of the predicted vs real change ${f(result.deltaPearsonTop)}, energy distance ${f(result.energyTop)}`);
      return 0;
    } finally {
      await source.close();
    }
  },
};
