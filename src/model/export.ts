// Export of a trained model: the inference graphs as standalone .onnx files (weights embedded,
// symbolic batch) and model.json with everything needed to use them.

import { TrvaeError } from '../errors.ts';
import type { ModelConfig } from './definition.ts';
import { inferenceModelBytes, type InferenceKind } from './inference.ts';
import { modelDefinition } from './models.ts';
import type { ModelState } from './train/state.ts';
import type { EpochRecord } from './train/train.ts';

export const EXPORT_FORMAT = 'trvae-web/model@1';

export interface ModelMetadata {
  /** var names of the model's genes, in input order. */
  readonly genes: readonly string[];
  /** Condition categories in one-hot order. */
  readonly conditions: readonly string[];
  readonly conditionKey?: string;
  readonly cellTypeKey?: string;
  readonly holdout?: { readonly cellType: string; readonly condition: string };
  /** What the model's x is: 'counts' data were normalize_total(1e4) + log1p'd before training; 'log1p' data were used as given. */
  readonly input?: 'counts' | 'log1p';
  /** The AnnData layer the expression came from (X when absent). */
  readonly layer?: string;
  readonly metrics?: Readonly<Record<string, unknown>>;
  readonly history?: readonly EpochRecord[];
}

export interface ModelJson extends ModelMetadata {
  readonly format: typeof EXPORT_FORMAT;
  /** The model's configuration; `config.model` names the model (absent: trVAE). */
  readonly config: ModelConfig;
  readonly preprocessing: { readonly normalizeTotal: number; readonly log1p: true };
  /** Every inference graph of the model (trVAE: encode, mmd, predict; scGen: encode, decode). */
  readonly graphs: Readonly<Record<InferenceKind, { readonly file: string; readonly inputs: readonly string[]; readonly outputs: readonly string[] }>>;
  readonly trainingSteps: number;
}

export class ExportError extends TrvaeError {
  override readonly name = 'ExportError';
  readonly code = 'invalid-model';
}

/** File name → contents. */
export function exportModel(config: ModelConfig, state: ModelState, meta: ModelMetadata): Map<string, Uint8Array | string> {
  if (meta.genes.length !== config.nGenes) throw new ExportError(`${meta.genes.length} gene names for a model of ${config.nGenes} genes`);
  if (meta.conditions.length !== config.nConditions) throw new ExportError(`${meta.conditions.length} condition names for a model of ${config.nConditions} conditions`);
  const files = new Map<string, Uint8Array | string>();
  const model = modelDefinition(config);
  const graphs: Record<InferenceKind, ModelJson['graphs'][InferenceKind]> = {};
  for (const [kind, spec] of Object.entries(model.inference)) {
    const file = `${model.name}_${kind}.onnx`;
    files.set(file, inferenceModelBytes(kind, config, state));
    graphs[kind] = { file, inputs: spec.inputs.map((i) => i.name), outputs: spec.outputs };
  }
  const json: ModelJson = {
    format: EXPORT_FORMAT,
    config,
    ...meta,
    preprocessing: { normalizeTotal: 1e4, log1p: true },
    graphs,
    trainingSteps: state.step,
  };
  files.set('model.json', JSON.stringify(json, null, 2));
  return files;
}

export function parseModelJson(text: string): ModelJson {
  const json = JSON.parse(text) as Partial<ModelJson>;
  if (json.format !== EXPORT_FORMAT) throw new ExportError(`not a trvae-web model.json (format is ${String(json.format)}, expected ${EXPORT_FORMAT})`);
  return json as ModelJson;
}
