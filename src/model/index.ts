// Training and using trVAE (and scGen) as a library: the one pipeline (options → plan → run →
// export), counterfactual prediction, the paper's metrics, exported models, the simulator.
export { defaultTrainingOptions, optionsUsage, trainingOptionSpecs, trainingOptionsFrom, type OptionSpec, type TrainingOptions } from './options.ts';
export { exportRun, prepareTraining, runTraining, trainSource, type PrepareEnvironment, type RunOptions, type TrainedRun, type TrainingPlan } from './pipeline.ts';
export { predictCounterfactual, type CounterfactualInput, type ModelWeights } from './predict.ts';
export { encodeDataset, maxShownCells, shownCells, type DatasetLatent, type ShownCells } from './dataset-latent.ts';
export { computeResults, loadResultsSample, pairOffer, predictPair, type HeldOutPrediction, type PairOffer, type PairResult, type PredictionPair, type ResultsSample, type TrainingResults } from './results.ts';
export { evaluatePrediction, type PredictionEvaluation } from './metrics.ts';
export { evaluateHoldout, type HoldoutEvaluation } from './evaluate-holdout.ts';
export { exportModel, parseModelJson, type ModelJson } from './export.ts';
export { createInferenceRunner, type InferenceRunner } from './inference.ts';
export { perturbationAnnData, simulatePerturbation, type PerturbationSim, type PerturbationSimOptions } from './perturbation-sim.ts';
export { createTrainingControl, type TrainingControl } from './train/control.ts';
export type { Checkpoint, EpochRecord, Schedule, StopReason, TrainingEvent } from './train/train.ts';
export { ConfigError, makeConfig, type TrvaeConfig } from './trvae/config.ts';
export { DatasetError } from './dataset.ts';
export { NonFiniteLossError } from './train/step-runner.ts';
export type { Backend } from './runtime.ts';
