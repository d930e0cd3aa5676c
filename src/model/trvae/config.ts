// The trVAE model and training configuration, with the paper's defaults.

import { TrvaeError } from '../../errors.ts';

export type ReconstructionLoss = 'mse' | 'sse' | 'nb';

/** The models trained on this configuration (src/model/models.ts): trVAE (CVAE: beta = 0) and scGen. */
export const MODEL_KINDS = ['trvae', 'scgen'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export interface TrvaeConfig {
  /** The model; absent: 'trvae'. scGen has no condition inputs and ignores beta. */
  readonly model?: ModelKind;
  readonly nGenes: number;
  readonly nConditions: number;
  /** Encoder hidden widths; the decoder mirrors them. The last is the MMD layer's width. */
  readonly hidden: readonly number[];
  readonly latent: number;
  readonly dropout: number;
  /** Weight of the KL term. */
  readonly alpha: number;
  /** Weight of the MMD term. */
  readonly beta: number;
  /** Weight of the reconstruction term. */
  readonly eta: number;
  /**
   * 'sse': ½·Σ over genes (the paper's code); 'mse': ½·mean over genes; 'nb' (beyond the paper,
   * scArches-style): negative-binomial NLL of the raw counts, Σ over genes, with a per-gene and
   * per-condition dispersion; needs raw counts. All averaged over cells.
   */
  readonly recon: ReconstructionLoss;
  readonly learningRate: number;
  readonly adamBeta1: number;
  readonly adamBeta2: number;
  readonly adamEpsilon: number;
  /** Gradients are clipped elementwise to [−clipValue, clipValue] before Adam (Keras clipvalue). */
  readonly clipValue: number;
  readonly batchSize: number;
  readonly leakySlope: number;
  readonly bnEpsilon: number;
  readonly bnMomentum: number;
  readonly logvarMin: number;
  readonly logvarMax: number;
  readonly seed: number;
}

export const defaultConfig: Omit<TrvaeConfig, 'nGenes' | 'nConditions'> = {
  hidden: [512, 128],
  latent: 20,
  dropout: 0.2,
  alpha: 5e-5,
  beta: 100,
  eta: 100,
  recon: 'sse',
  learningRate: 1e-3,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-7,
  clipValue: 3,
  batchSize: 512,
  leakySlope: 0.3,
  bnEpsilon: 1e-3,
  bnMomentum: 0.99,
  logvarMin: -30,
  logvarMax: 20,
  seed: 0,
};

export class ConfigError extends TrvaeError {
  override readonly name = 'ConfigError';
  readonly code = 'invalid-config';
}

export function makeConfig(partial: Partial<TrvaeConfig> & Pick<TrvaeConfig, 'nGenes' | 'nConditions'>): TrvaeConfig {
  const config: TrvaeConfig = { ...defaultConfig, ...partial };
  const positiveInt = (name: keyof TrvaeConfig, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`${name} must be a positive integer, got ${v}`);
  };
  positiveInt('nGenes', config.nGenes);
  positiveInt('latent', config.latent);
  positiveInt('batchSize', config.batchSize);
  if (!Number.isInteger(config.nConditions) || config.nConditions < 2) {
    throw new ConfigError(`trVAE needs at least 2 conditions, got ${config.nConditions}`);
  }
  if (config.hidden.length === 0) throw new ConfigError('hidden must list at least one layer width (the MMD layer)');
  config.hidden.forEach((h) => positiveInt('hidden', h));
  if (!(config.dropout >= 0 && config.dropout < 1)) throw new ConfigError(`dropout must be in [0, 1), got ${config.dropout}`);
  if (config.batchSize < 2) throw new ConfigError('batchSize must be at least 2 (batch normalisation)');
  for (const k of ['alpha', 'beta', 'eta', 'learningRate', 'adamEpsilon', 'clipValue', 'bnEpsilon'] as const) {
    if (!(config[k] >= 0) || !Number.isFinite(config[k])) throw new ConfigError(`${k} must be a finite number ≥ 0, got ${config[k]}`);
  }
  if (!['mse', 'sse', 'nb'].includes(config.recon)) throw new ConfigError(`recon must be 'mse', 'sse' or 'nb', got ${String(config.recon)}`);
  if (config.model !== undefined && !MODEL_KINDS.includes(config.model)) throw new ConfigError(`model must be ${MODEL_KINDS.map((m) => `'${m}'`).join(' or ')}, got ${String(config.model)}`);
  if (config.model === 'scgen' && config.recon === 'nb') throw new ConfigError("scGen has no condition inputs for the NB dispersion; use recon 'sse' or 'mse'");
  return config;
}
