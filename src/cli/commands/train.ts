import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { optionsUsage, trainingOptionSpecs, trainingOptionsFrom, type OptionKey } from '../../model/options.ts';
import { h5adBytes } from '../../convert/h5ad-bytes.ts';
import { encodeDataset, latentCsv } from '../../model/dataset-latent.ts';
import { exportRun, prepareTraining, runTraining, type TrainedRun } from '../../model/pipeline.ts';
import { latentAnnData } from '../../model/results-anndata.ts';
import { setCpuThreads } from '../../model/runtime.ts';
import { encodeCheckpoint } from '../../model/train/checkpoint-file.ts';
import { createNodeStepRunner } from '../../model/train/node-step-worker.ts';
import type { TrainingEvent } from '../../model/train/train.ts';
import type { CliCommand } from '../main.ts';

const usage = `usage: trvae-web train <url-or-path> --condition-key K --out DIR [options]

Trains trVAE on an AnnData (zarr URL/directory or .h5ad) and writes to DIR:
trvae_{encode,mmd,predict}.onnx (weights embedded), model.json (config, genes, conditions, metrics)
and checkpoint.ckpt; with --export-latent also every cell's latent space in the dataset's order, as the
app's downloads: trvae_cells.h5ad (all obs columns, obsm X_trvae = μ, X_trvae_mmd) and latent_mu.csv. By default it trains to convergence: enough epochs for --steps optimiser steps,
stopping early when the validation loss stops improving and keeping the best epoch's parameters.
${optionsUsage()}

Run:
  --out DIR                    where the export is written (required)
  --export-latent              also encode every cell and write trvae_cells.h5ad and latent_mu.csv
  --threads N                  ONNX Runtime threads (onnxruntime-node's CPU EP, or WASM)
  --steps-in main|worker       where optimiser steps run: the training thread (default; fastest
                               on 2 cores) or a worker thread, so that the loader works during a
                               step (less waiting for data, but the threads share the cores)`;

function logEvent(e: TrainingEvent, epochs: number): void {
  if (e.kind === 'epoch') {
    const r = e.record;
    const terms = Object.entries(r.train).filter(([term]) => term !== 'total').map(([term, v]) => `${term} ${v.toPrecision(5)}`).join(', ');
    const val = r.validation ? `  val ${r.validation.total.toFixed(4)}` : '';
    const waited = r.seconds > 0 ? `, ${Math.round((100 * r.waitSeconds) / r.seconds)} % waiting for data` : '';
    console.error(`epoch ${r.epoch + 1}/${epochs}: loss ${r.train.total.toFixed(4)} (weighted: ${terms})${val}  ${r.seconds.toFixed(1)} s${waited}`);
  } else if (e.kind === 'lr') {
    console.error(`learning rate → ${e.learningRate}`);
  }
}

export const command: CliCommand = {
  summary: 'train trVAE on an AnnData and export ONNX graphs + model.json',
  usage,
  async run(args) {
    const flags = new Map(trainingOptionSpecs.map((s) => [s.flag, s.key]));
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { ...Object.fromEntries([...flags.keys(), 'out', 'threads', 'steps-in'].map((k) => [k, { type: 'string' as const }])), 'export-latent': { type: 'boolean' as const } },
    });
    const v = values as Record<string, string | undefined>;
    if (positionals.length !== 1 || !v['condition-key'] || !v.out) {
      console.error(usage);
      return 2;
    }
    const text: Partial<Record<OptionKey, string>> = {};
    for (const [flag, key] of flags) if (v[flag] !== undefined) text[key] = v[flag];
    const options = trainingOptionsFrom(text);
    if (v.threads !== undefined) {
      const threads = Number(v.threads);
      if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads needs a positive integer, got "${v.threads}"`);
      setCpuThreads(threads);
    }
    const stepsIn = v['steps-in'] ?? 'main';
    if (stepsIn !== 'main' && stepsIn !== 'worker') throw new Error(`--steps-in is main or worker, got "${stepsIn}"`);
    const { openSource } = await import('../../source/index.ts');
    const source = await openSource(positionals[0]);
    try {
      const plan = await prepareTraining(source, options, { onLog: (line) => console.error(line), onPhase: (phase, done) => done === 0 && console.error(`${phase}…`) });
      let run: TrainedRun;
      try {
        run = await runTraining(plan, { ...(stepsIn === 'worker' ? { stepRunner: createNodeStepRunner } : {}), onEvent: (e) => logEvent(e, plan.schedule.epochs) });
      } finally {
        await plan.close();
      }
      const files: Map<string, string | Uint8Array> = new Map(exportRun(plan, run));
      // An untrained or NaN-stopped model's latent space would read as real: none is written.
      if (values['export-latent'] && run.stopReason !== 'non-finite' && run.checkpoint.history.length > 0) {
        const { config, state } = run.checkpoint;
        let logged = 0;
        const onProgress = (done: number, total: number) => {
          if (done < total && done - logged < 0.1 * total) return;
          logged = done;
          console.error(`encoding every cell: ${done} of ${total}`);
        };
        const dataset = await encodeDataset(source, plan, config, state, { onProgress });
        files.set(`${config.model ?? 'trvae'}_cells.h5ad`, await h5adBytes(latentAnnData(dataset)));
        files.set('latent_mu.csv', latentCsv(dataset));
        if (dataset.mmd && !dataset.mmd.all) console.error('the MMD layer of every cell would pass 256 MB: trvae_cells.h5ad holds X_trvae only');
      }
      await mkdir(v.out, { recursive: true });
      for (const [name, content] of files) await writeFile(join(v.out, name), content);
      await writeFile(join(v.out, 'checkpoint.ckpt'), encodeCheckpoint(run.checkpoint));
      const best = run.checkpoint.best.epoch;
      console.error(
        `${run.stopReason}${run.message ? `: ${run.message}` : ''}; ${run.checkpoint.history.length} epochs, ${run.checkpoint.state.step} steps in ${run.seconds.toFixed(1)} s` +
          ` (${Math.round((100 * run.waitSeconds) / Math.max(1e-9, run.seconds))} % of it waiting for batches)` +
          `${best >= 0 ? `, parameters of epoch ${best + 1}` : ''}; wrote ${[...files.keys(), 'checkpoint.ckpt'].join(', ')} to ${v.out}`,
      );
      return run.stopReason === 'non-finite' ? 1 : 0;
    } finally {
      await source.close();
    }
  },
};
