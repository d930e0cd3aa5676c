import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseHoldout } from '../../model/dataset.ts';
import { ort } from '../../model/runtime.ts';
import { trainFromSource } from '../../model/train-source.ts';
import { encodeCheckpoint } from '../../model/train/checkpoint-file.ts';
import type { CliCommand } from '../main.ts';

const usage = `usage: trvae-web train <url-or-path> --condition-key K --out DIR [options]

Trains trVAE (ONNX Runtime WASM, CPU) on an AnnData (zarr URL/directory or .h5ad) and writes to DIR:
trvae_{encode,mmd,predict}.onnx (weights embedded), model.json (config, genes, conditions, metrics)
and checkpoint.ckpt.

  --condition-key K       obs column with the conditions (categorical)
  --cell-type-key T       obs column with the cell types (needed by --holdout and evaluate)
  --holdout CT:COND       leave out the cells of cell type CT in condition COND
  --genes N               highly variable genes to train on (seurat flavour; default 2000)
  --epochs E              default 100
  --seed S                default 0
  --batch-size B          default 512
  --hidden W1,W2,...      encoder widths (decoder mirrors them; default 512,128)
  --latent Z              default 20
  --dropout P             default 0.2
  --alpha A --beta B --eta E   loss weights (KL, MMD, reconstruction; default 5e-5, 100, 100)
  --recon sse|mse|nb      default sse; nb: negative-binomial loss on raw counts (needs counts data)
  --lr LR                 default 1e-3
  --validation F          validation fraction (default 0.2)
  --patience N            early-stopping patience in epochs (default 20; 0 = off)
  --lr-patience N         reduce-LR-on-plateau patience (default 10; 0 = off)
  --kl-warmup N           KL warm-up epochs (default 0)
  --input counts|log1p|auto   what X holds (default auto: integers → counts)
  --layer L               use a layer instead of X
  --threads N             ONNX Runtime WASM threads`;

const num = (name: string, v: string | undefined, integer = false): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new Error(`--${name} needs ${integer ? 'an integer' : 'a number'}, got "${v}"`);
  return n;
};

export const command: CliCommand = {
  summary: 'train trVAE on an AnnData and export ONNX graphs + model.json',
  usage,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: Object.fromEntries(
        ['condition-key', 'cell-type-key', 'holdout', 'genes', 'epochs', 'seed', 'out', 'batch-size', 'hidden', 'latent', 'dropout', 'alpha', 'beta', 'eta', 'recon', 'lr', 'validation', 'patience', 'lr-patience', 'kl-warmup', 'input', 'layer', 'threads'].map((k) => [k, { type: 'string' as const }]),
      ),
    });
    const v = values as Record<string, string | undefined>;
    if (positionals.length !== 1 || !v['condition-key'] || !v.out) {
      console.error(usage);
      return 2;
    }
    const threads = num('threads', v.threads, true);
    if (threads !== undefined) ort.env.wasm.numThreads = threads;
    const recon = v.recon;
    if (recon !== undefined && recon !== 'sse' && recon !== 'mse' && recon !== 'nb') throw new Error(`--recon must be sse, mse or nb, got "${recon}"`);
    const input = v.input;
    if (input !== undefined && input !== 'counts' && input !== 'log1p' && input !== 'auto') throw new Error(`--input must be counts, log1p or auto, got "${input}"`);
    const model = Object.fromEntries(
      Object.entries({
        seed: num('seed', v.seed, true),
        batchSize: num('batch-size', v['batch-size'], true),
        hidden: v.hidden?.split(',').map((w) => num('hidden', w, true) as number),
        latent: num('latent', v.latent, true),
        dropout: num('dropout', v.dropout),
        alpha: num('alpha', v.alpha),
        beta: num('beta', v.beta),
        eta: num('eta', v.eta),
        learningRate: num('lr', v.lr),
        recon,
      }).filter(([, x]) => x !== undefined),
    );
    const schedule = Object.fromEntries(
      Object.entries({
        epochs: num('epochs', v.epochs, true),
        earlyStoppingPatience: num('patience', v.patience, true),
        lrPatience: num('lr-patience', v['lr-patience'], true),
        klWarmupEpochs: num('kl-warmup', v['kl-warmup'], true),
      }).filter(([, x]) => x !== undefined),
    );
    const { openSource } = await import('../../source/index.ts');
    const source = await openSource(positionals[0]);
    try {
      const result = await trainFromSource(source, {
        conditionKey: v['condition-key'],
        cellTypeKey: v['cell-type-key'],
        holdout: v.holdout ? parseHoldout(v.holdout) : undefined,
        nGenes: num('genes', v.genes, true) ?? 2000,
        input: input ?? 'auto',
        layer: v.layer,
        validationFraction: num('validation', v.validation) ?? 0.2,
        model,
        schedule,
        onLog: (line) => console.error(line),
        onEvent: (e) => {
          if (e.kind === 'epoch') {
            const r = e.record;
            const val = r.validation ? `  val ${r.validation.total.toFixed(4)}` : '';
            console.error(`epoch ${r.epoch + 1}: loss ${r.train.total.toFixed(4)} (recon ${r.train.recon.toFixed(4)}, kl ${r.train.kl.toFixed(4)}, mmd ${r.train.mmd.toFixed(5)})${val}  ${r.seconds.toFixed(1)} s`);
          } else if (e.kind === 'lr') {
            console.error(`learning rate → ${e.learningRate}`);
          }
        },
      });
      await mkdir(v.out, { recursive: true });
      for (const [name, content] of result.files) await writeFile(join(v.out, name), content);
      await writeFile(join(v.out, 'checkpoint.ckpt'), encodeCheckpoint(result.checkpoint));
      console.error(`${result.stopReason}${result.message ? `: ${result.message}` : ''}; wrote ${[...result.files.keys(), 'checkpoint.ckpt'].join(', ')} to ${v.out}`);
      return result.stopReason === 'non-finite' ? 1 : 0;
    } finally {
      await source.close();
    }
  },
};
