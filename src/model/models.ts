// The models a configuration can name (config.model), as model definitions: adding a model is one
// file exporting a ModelDefinition and a line here.
import type { ModelConfig, ModelDefinition } from './definition.ts';
import { scgenModel } from './scgen.ts';
import { trvaeModel } from './trvae/graphs.ts';

export function modelDefinition(config: ModelConfig): ModelDefinition {
  return config.model === 'scgen' ? scgenModel(config) : trvaeModel(config);
}
