// Model and optimiser state as plain arrays: what a checkpoint stores and an export embeds.

import type { ModelConfig, ModelDefinition, NamedArrays } from '../definition.ts';
import { modelDefinition } from '../models.ts';
import { adamM, adamV } from '../optim/adam.ts';

export interface ModelState {
  readonly params: NamedArrays;
  /** Running statistics (BatchNorm). */
  readonly stats: NamedArrays;
  readonly adamM: NamedArrays;
  readonly adamV: NamedArrays;
  /** Optimiser updates done so far. */
  readonly step: number;
}

/** The model's seeded initial state, with zero Adam moments. */
export function initialModelState(config: ModelConfig): ModelState {
  const { params, stats } = modelDefinition(config).initialState();
  const zeros = () => new Map([...params].map(([k, v]) => [k, new Float32Array(v.length)]));
  return { params, stats, adamM: zeros(), adamV: zeros(), step: 0 };
}

/** The train-step graph's state inputs, by input name. */
export function stateFeeds(state: ModelState): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of state.params) out.set(k, v);
  for (const [k, v] of state.stats) out.set(k, v);
  for (const [k, v] of state.adamM) out.set(adamM(k), v);
  for (const [k, v] of state.adamV) out.set(adamV(k), v);
  return out;
}

export function stateFromFeeds(model: ModelDefinition, feeds: ReadonlyMap<string, Float32Array>, step: number): ModelState {
  const pick = (name: string) => {
    const v = feeds.get(name);
    if (!v) throw new Error(`model state: missing "${name}"`);
    return v;
  };
  return {
    params: new Map(model.params.map((p) => [p.name, pick(p.name)])),
    stats: new Map(model.stats.map((s) => [s.name, pick(s.name)])),
    adamM: new Map(model.params.map((p) => [p.name, pick(adamM(p.name))])),
    adamV: new Map(model.params.map((p) => [p.name, pick(adamV(p.name))])),
    step,
  };
}

/** Checks that a state (e.g. from a checkpoint) has every array with the shape the model implies. */
export function validateState(model: ModelDefinition, state: ModelState): void {
  const check = (kind: string, map: NamedArrays, name: string, shape: readonly number[]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = map.get(name);
    if (!v) throw new Error(`${kind} "${name}" is missing: the state does not match this model configuration`);
    if (v.length !== n) throw new Error(`${kind} "${name}" has ${v.length} values, the configuration needs ${n} ([${shape.join(', ')}])`);
  };
  for (const p of model.params) {
    check('parameter', state.params, p.name, p.shape);
    check('Adam moment', state.adamM, p.name, p.shape);
    check('Adam moment', state.adamV, p.name, p.shape);
  }
  for (const s of model.stats) check('statistic', state.stats, s.name, s.shape);
}
