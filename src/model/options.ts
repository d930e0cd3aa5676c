// Every option of a training run, declared once: its key, its CLI flag, a label and a one-line
// explanation, its kind and its default. The CLI's --help text and parser, the app's form and the
// training pipeline all read this list, so the app and the CLI cannot disagree on a default. Model
// defaults come from `defaultConfig`, schedule defaults from `defaultSchedule`; data defaults live here.

import { ConfigError, defaultConfig, MODEL_KINDS, type ModelKind, type ReconstructionLoss } from './trvae/config.ts';
import { defaultSchedule } from './train/train.ts';
import { parseHoldout, type InputKind } from './dataset.ts';

/** All options of a run, flat (one field per option), as the CLI, the form and a URL spell them. */
export interface TrainingOptions {
  readonly conditionKey: string;
  readonly cellTypeKey?: string;
  /** "CELLTYPE:CONDITION": cells left out of training and validation (the paper's protocol). */
  readonly holdout?: string;
  readonly layer?: string;
  readonly input: InputKind | 'auto';
  readonly genes: number;
  readonly validation: number;
  readonly memoryMb: number;
  /** 'conditions': every batch holds the conditions in equal shares (rare conditions oversampled). */
  readonly balance: 'none' | 'conditions';
  readonly epochs: number | 'auto';
  readonly steps: number;
  readonly patience: number;
  readonly lrPatience: number;
  readonly klWarmup: number;
  readonly batchSize: number;
  readonly hidden: readonly number[];
  readonly latent: number;
  readonly dropout: number;
  readonly alpha: number;
  readonly beta: number;
  readonly eta: number;
  readonly recon: ReconstructionLoss;
  readonly model: ModelKind;
  readonly lr: number;
  readonly seed: number;
}

export type OptionKey = keyof TrainingOptions;
export type OptionGroup = 'data' | 'schedule' | 'model' | 'loss';

interface SpecBase<K extends OptionKey> {
  readonly key: K;
  /** CLI flag without dashes; also the URL parameter. */
  readonly flag: string;
  readonly label: string;
  readonly help: string;
  readonly group: OptionGroup;
}

export type OptionSpec =
  | (SpecBase<OptionKey> & { readonly kind: 'text'; readonly placeholder?: string })
  | (SpecBase<OptionKey> & { readonly kind: 'int' | 'number'; readonly min?: number; readonly max?: number })
  | (SpecBase<'epochs'> & { readonly kind: 'int-or-auto'; readonly min: number })
  | (SpecBase<OptionKey> & { readonly kind: 'choice'; readonly choices: readonly string[] })
  | (SpecBase<'hidden'> & { readonly kind: 'int-list' });

/**
 * Default schedule: about this many optimiser steps. Measured side by side with a PyTorch trVAE on a
 * 6,000-cell simulation (batch 512, 9 steps per epoch), the held-out R² of top-DEG means rose until
 * ~1,350 steps (150 epochs) and then flattened; 2,000 steps leave room, and early stopping on the
 * validation loss (best epoch restored) ends runs that converge sooner.
 */
export const defaultTargetSteps = 2000;

export const defaultTrainingOptions: Omit<TrainingOptions, 'conditionKey'> = {
  input: 'auto',
  genes: 2000,
  validation: 0.2,
  memoryMb: 1024,
  balance: 'none',
  epochs: 'auto',
  steps: defaultTargetSteps,
  patience: defaultSchedule.earlyStoppingPatience,
  lrPatience: defaultSchedule.lrPatience,
  klWarmup: defaultSchedule.klWarmupEpochs,
  batchSize: defaultConfig.batchSize,
  hidden: defaultConfig.hidden,
  latent: defaultConfig.latent,
  dropout: defaultConfig.dropout,
  alpha: defaultConfig.alpha,
  beta: defaultConfig.beta,
  eta: defaultConfig.eta,
  recon: defaultConfig.recon,
  model: 'trvae',
  lr: defaultConfig.learningRate,
  seed: defaultConfig.seed,
};

export const trainingOptionSpecs: readonly OptionSpec[] = [
  { key: 'conditionKey', flag: 'condition-key', kind: 'text', group: 'data', label: 'Condition key', help: 'obs column with the conditions (e.g. control / stimulated)' },
  { key: 'cellTypeKey', flag: 'cell-type-key', kind: 'text', group: 'data', label: 'Cell type key', help: 'obs column with the cell types (needed by the held-out pair and the evaluation)' },
  { key: 'holdout', flag: 'holdout', kind: 'text', group: 'data', label: 'Held-out pair', placeholder: 'CELLTYPE:CONDITION', help: 'cells of this cell type in this condition are left out of training, to test the prediction' },
  { key: 'layer', flag: 'layer', kind: 'text', group: 'data', label: 'Layer', help: 'train on this layer instead of X (e.g. counts while X holds log-normalised data)' },
  { key: 'input', flag: 'input', kind: 'choice', choices: ['auto', 'counts', 'log1p'], group: 'data', label: 'Input', help: 'what the matrix holds: raw counts (normalised to 1e4 + log1p here) or log-normalised values; auto: integers → counts' },
  { key: 'genes', flag: 'genes', kind: 'int', min: 2, group: 'data', label: 'Genes', help: 'highly variable genes to train on (scanpy seurat flavour)' },
  { key: 'validation', flag: 'validation', kind: 'number', min: 0, max: 0.9, group: 'data', label: 'Validation fraction', help: 'fraction of the cells kept for the validation loss (early stopping)' },
  { key: 'memoryMb', flag: 'memory-mb', kind: 'int', min: 1, group: 'data', label: 'In-memory limit (MB)', help: 'data up to this size are read once and trained from memory; larger data are streamed out of core' },
  { key: 'balance', flag: 'balance', kind: 'choice', choices: ['none', 'conditions'], group: 'data', label: 'Batch balance', help: 'conditions: every batch holds each condition in equal shares, so rare conditions are in every MMD (oversampled)' },
  { key: 'epochs', flag: 'epochs', kind: 'int-or-auto', min: 1, group: 'schedule', label: 'Epochs', help: 'passes over the training cells; auto: enough epochs for the target number of steps' },
  { key: 'steps', flag: 'steps', kind: 'int', min: 1, group: 'schedule', label: 'Target steps', help: 'optimiser steps the automatic epoch count aims at (training to convergence)' },
  { key: 'patience', flag: 'patience', kind: 'int', min: 0, group: 'schedule', label: 'Early-stopping patience', help: 'stop after this many epochs without a better validation loss and restore the best epoch (0 = never)' },
  { key: 'lrPatience', flag: 'lr-patience', kind: 'int', min: 0, group: 'schedule', label: 'LR patience', help: 'divide the learning rate by 10 after this many epochs without improvement (0 = never)' },
  { key: 'klWarmup', flag: 'kl-warmup', kind: 'int', min: 0, group: 'schedule', label: 'KL warm-up epochs', help: 'the KL weight ramps up linearly over this many epochs (0 = off)' },
  { key: 'model', flag: 'model', kind: 'choice', choices: MODEL_KINDS, group: 'model', label: 'Model', help: 'trvae (the paper; β = 0 gives a CVAE) or scgen (a VAE without conditions, prediction by latent arithmetic)' },
  { key: 'batchSize', flag: 'batch-size', kind: 'int', min: 2, group: 'model', label: 'Batch size', help: 'cells per optimiser step (≥ 512 keeps the MMD stable; smaller data use all their cells)' },
  { key: 'hidden', flag: 'hidden', kind: 'int-list', group: 'model', label: 'Hidden layers', help: 'encoder widths, comma-separated; the decoder mirrors them and the last is the MMD layer' },
  { key: 'latent', flag: 'latent', kind: 'int', min: 1, group: 'model', label: 'Latent size', help: 'dimensions of z' },
  { key: 'dropout', flag: 'dropout', kind: 'number', min: 0, max: 0.95, group: 'model', label: 'Dropout', help: 'dropout rate after every hidden block' },
  { key: 'seed', flag: 'seed', kind: 'int', min: 0, group: 'model', label: 'Seed', help: 'initialisation, shuffles, split and noise: the same seed gives the same run' },
  { key: 'recon', flag: 'recon', kind: 'choice', choices: ['sse', 'mse', 'nb'], group: 'loss', label: 'Reconstruction loss', help: 'sse (the paper), mse, or nb: negative binomial on raw counts (set η ≈ 1)' },
  { key: 'alpha', flag: 'alpha', kind: 'number', min: 0, group: 'loss', label: 'KL weight α', help: 'weight of the KL term' },
  { key: 'beta', flag: 'beta', kind: 'number', min: 0, group: 'loss', label: 'MMD weight β', help: 'weight of the MMD term between conditions (0 gives a plain CVAE)' },
  { key: 'eta', flag: 'eta', kind: 'number', min: 0, group: 'loss', label: 'Reconstruction weight η', help: 'weight of the reconstruction term' },
  { key: 'lr', flag: 'lr', kind: 'number', min: 0, group: 'loss', label: 'Learning rate', help: 'Adam learning rate' },
];

export function optionSpec(key: OptionKey): OptionSpec {
  const spec = trainingOptionSpecs.find((s) => s.key === key);
  if (!spec) throw new Error(`no option ${key}`);
  return spec;
}

/** A default as the CLI and the form show it. */
export function formatDefault(key: OptionKey): string | undefined {
  const value = (defaultTrainingOptions as Partial<TrainingOptions>)[key];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** Parses one option from text (a flag's value, a form field, a URL parameter); throws ConfigError naming the flag. */
export function parseOptionValue(spec: OptionSpec, text: string): TrainingOptions[OptionKey] {
  const value = text.trim();
  const fail = (what: string): never => {
    throw new ConfigError(`--${spec.flag} needs ${what}, got "${text}"`);
  };
  const inRange = (n: number, min?: number, max?: number) => {
    if (min !== undefined && n < min) fail(`a value ≥ ${min}`);
    if (max !== undefined && n > max) fail(`a value ≤ ${max}`);
    return n;
  };
  switch (spec.kind) {
    case 'text':
      return value;
    case 'choice':
      if (!spec.choices.includes(value)) fail(`one of ${spec.choices.join(', ')}`);
      return value as TrainingOptions['recon' | 'model' | 'balance'];
    case 'int-list': {
      const list = value.split(',').map((s) => Number(s.trim()));
      if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) fail('positive integers separated by commas');
      return list;
    }
    case 'int-or-auto':
    case 'int': {
      if (spec.kind === 'int-or-auto' && value === 'auto') return 'auto';
      const n = Number(value);
      if (value === '' || !Number.isInteger(n)) fail(spec.kind === 'int' ? 'an integer' : 'an integer or auto');
      return inRange(n, spec.min, spec.kind === 'int' ? spec.max : undefined);
    }
    case 'number': {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n)) fail('a number');
      return inRange(n, spec.min, spec.max);
    }
  }
}

/**
 * Options from text values by key (empty strings and missing keys take the defaults). An unknown
 * key, a missing condition key or a half-set held-out pair is an error.
 */
export function trainingOptionsFrom(values: Readonly<Partial<Record<OptionKey, string>>>): TrainingOptions {
  const out: Record<string, unknown> = { ...defaultTrainingOptions };
  for (const [key, text] of Object.entries(values)) {
    const spec = trainingOptionSpecs.find((s) => s.key === key);
    if (!spec) throw new ConfigError(`unknown option "${key}"`);
    if (text === undefined || text.trim() === '') continue;
    out[key] = parseOptionValue(spec, text);
  }
  if (typeof out.conditionKey !== 'string' || !out.conditionKey) throw new ConfigError('--condition-key is required: the obs column with the conditions');
  const options = out as unknown as TrainingOptions;
  if (options.holdout !== undefined) {
    parseHoldout(options.holdout);
    if (!options.cellTypeKey) throw new ConfigError('--holdout needs --cell-type-key (the obs column its cell type refers to)');
  }
  return options;
}

/** The CLI's option lines, generated from the declarations. */
export function optionsUsage(): string {
  const groups: Record<OptionGroup, string> = { data: 'Data', schedule: 'Schedule', model: 'Model', loss: 'Loss and optimiser' };
  const lines: string[] = [];
  for (const group of Object.keys(groups) as OptionGroup[]) {
    lines.push('', `${groups[group]}:`);
    for (const spec of trainingOptionSpecs.filter((s) => s.group === group)) {
      const meta = spec.kind === 'choice' ? spec.choices.join('|') : spec.kind === 'int-list' ? 'W1,W2,…' : spec.kind === 'text' ? (spec.placeholder ?? 'NAME') : spec.kind === 'int-or-auto' ? 'N|auto' : 'N';
      const def = formatDefault(spec.key);
      lines.push(`  --${`${spec.flag} ${meta}`.padEnd(28)} ${spec.help}${def !== undefined ? ` (default ${def})` : ''}`);
    }
  }
  return lines.join('\n');
}

/** Epochs of a run: the given number, or (auto) enough epochs of `stepsPerEpoch` for the target steps. */
export function resolveEpochs(options: Pick<TrainingOptions, 'epochs' | 'steps'>, stepsPerEpoch: number): number {
  if (options.epochs !== 'auto') return options.epochs;
  return Math.max(1, Math.ceil(options.steps / Math.max(1, stepsPerEpoch)));
}
