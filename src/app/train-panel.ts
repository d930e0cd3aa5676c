// The training panel: choose keys, genes and the held-out pair; train in a worker with live loss
// curves, progress (cells/s, ETA), pause/resume/cancel; hand the trained state to the results panel.
import * as Comlink from 'comlink';
import type { TrainingBackend } from '../gpu/adapter.ts';
import type { TrainingEvent } from '../model/train/train.ts';
import type { ModelState } from '../model/train/state.ts';
import { makeConfig, type ReconstructionLoss, type TrvaeConfig } from '../model/trvae/config.ts';
import type { AnnDataSource } from '../source/types.ts';
import type { TrainWorkerApi, WorkerTrainRequest, WorkerTrainResult } from '../../workers/train.worker.ts';
import { formatInt, h } from './dom.ts';
import { createLineChart } from './line-chart.ts';
import type { WorkerInput } from './open-dataset.ts';
import { subsetRows } from './subset.ts';
import { inMemoryBytes, prepareTrainingData, sampleForResults, type TrainingChoices, type TrainingData } from './training-data.ts';

export interface TrainedModel {
  readonly config: TrvaeConfig;
  readonly state: ModelState;
  readonly data: TrainingData;
  readonly choices: TrainingChoices;
  readonly result: WorkerTrainResult;
}

interface FormValues {
  readonly choices: TrainingChoices;
  readonly epochs: number;
  readonly batchSize: number;
  readonly hidden: number[];
  readonly latent: number;
  readonly beta: number;
  readonly validationFraction: number;
  /** Above this much dense expression, train out of core. */
  readonly memoryMb: number;
  readonly recon: ReconstructionLoss;
  readonly eta: number;
}

function select(name: string, label: string, options: readonly string[], selected?: string, allowNone = false): HTMLElement {
  const el = h('select', { name, id: `train-${name}` }, allowNone ? h('option', { value: '' }, '—') : null, ...options.map((o) => h('option', { value: o, selected: o === selected }, o)));
  return h('label', { for: `train-${name}` }, label, el);
}

function numberInput(name: string, label: string, value: number, attrs: Record<string, string | number> = {}): HTMLElement {
  return h('label', { for: `train-${name}` }, label, h('input', { type: 'number', name, id: `train-${name}`, value, ...attrs }));
}

function readForm(form: HTMLFormElement): FormValues {
  const data = new FormData(form);
  const text = (k: string) => String(data.get(k) ?? '');
  const num = (k: string) => Number(text(k));
  const holdoutCellType = text('holdoutCellType');
  const holdoutCondition = text('holdoutCondition');
  const hidden = text('hidden').split(',').map((s) => Number(s.trim()));
  if (hidden.some((v) => !Number.isInteger(v) || v <= 0)) throw new Error(`hidden layers must be positive integers separated by commas, got "${text('hidden')}"`);
  return {
    choices: {
      conditionKey: text('conditionKey'),
      cellTypeKey: text('cellTypeKey') || undefined,
      holdout: holdoutCellType && holdoutCondition ? { cellType: holdoutCellType, condition: holdoutCondition } : undefined,
      nGenes: num('nGenes'),
    },
    epochs: num('epochs'),
    batchSize: num('batchSize'),
    hidden,
    latent: num('latent'),
    beta: num('beta'),
    validationFraction: num('validation') / 100,
    memoryMb: num('memoryMb'),
    recon: text('recon') as ReconstructionLoss,
    eta: num('eta'),
  };
}

/** `input` opens the same dataset again in the worker when it streams (too large for memory). */
export function renderTrainPanel(source: AnnDataSource, input: WorkerInput, backend: TrainingBackend, onTrained: (model: TrainedModel) => void): HTMLElement {
  const categorical = source.obsColumns.filter((c) => c.kind === 'categorical' || c.kind === 'string');
  const names = categorical.map((c) => c.name);
  const guess = (pattern: RegExp) => names.find((n) => pattern.test(n));
  const conditionGuess = guess(/^(condition|stim|treatment|perturbation)/i) ?? names[0];
  const cellTypeGuess = guess(/cell.?type|celltype|cluster|louvain|leiden/i);
  const categoriesOf = (name?: string) => categorical.find((c) => c.name === name)?.categories ?? [];

  const holdoutCellType = select('holdoutCellType', 'Held-out cell type', categoriesOf(cellTypeGuess), undefined, true);
  const holdoutCondition = select('holdoutCondition', 'Held-out condition', categoriesOf(conditionGuess), undefined, true);
  const form = h(
    'form',
    { class: 'train-form', 'data-testid': 'train-form' },
    select('conditionKey', 'Condition key', names, conditionGuess),
    select('cellTypeKey', 'Cell type key', names, cellTypeGuess, true),
    holdoutCellType,
    holdoutCondition,
    numberInput('nGenes', 'Genes (top HVG)', Math.min(2000, source.nVars), { min: 2, max: source.nVars }),
    numberInput('epochs', 'Epochs', 30, { min: 1 }),
    h(
      'details',
      { class: 'advanced' },
      h('summary', {}, 'Model and optimiser'),
      numberInput('batchSize', 'Batch size', Math.min(512, source.nObs), { min: 2 }),
      h('label', { for: 'train-hidden' }, 'Hidden layers', h('input', { name: 'hidden', id: 'train-hidden', value: '512, 128' })),
      numberInput('latent', 'Latent size', 20, { min: 1 }),
      numberInput('beta', 'MMD weight β', 100, { min: 0, step: 'any' }),
      h(
        'label',
        { for: 'train-recon' },
        'Reconstruction loss',
        h(
          'select',
          { name: 'recon', id: 'train-recon' },
          h('option', { value: 'sse' }, 'SSE (paper)'),
          h('option', { value: 'mse' }, 'MSE'),
          h('option', { value: 'nb' }, 'negative binomial (raw counts)'),
        ),
      ),
      numberInput('eta', 'Reconstruction weight η', 100, { min: 0, step: 'any' }),
      numberInput('validation', 'Validation %', 10, { min: 0, max: 50 }),
      numberInput('memoryMb', 'In-memory limit (MB)', 1024, { min: 1 }),
    ),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', 'data-testid': 'train-button' }, 'Train')),
  );
  const refill = (wrapper: HTMLElement, options: readonly string[]) => {
    const el = wrapper.querySelector('select') as HTMLSelectElement;
    el.replaceChildren(h('option', { value: '' }, '—'), ...options.map((o) => h('option', { value: o }, o)));
  };
  form.querySelector('[name=cellTypeKey]')?.addEventListener('change', (e) => refill(holdoutCellType, categoriesOf((e.target as HTMLSelectElement).value)));
  // The NB loss is on another scale than SSE (per-cell log-likelihood): η = 1 is its usual weight.
  form.querySelector('[name=recon]')?.addEventListener('change', (e) => {
    const eta = form.querySelector<HTMLInputElement>('[name=eta]');
    if (eta) eta.value = (e.target as HTMLSelectElement).value === 'nb' ? '1' : '100';
  });
  form.querySelector('[name=conditionKey]')?.addEventListener('change', (e) => refill(holdoutCondition, categoriesOf((e.target as HTMLSelectElement).value)));

  const progress = h('progress', { max: 1, value: 0, 'data-testid': 'train-progress' });
  const status = h('p', { class: 'status', role: 'status', 'data-testid': 'train-status' });
  const pause = h('button', { type: 'button', disabled: true, 'data-testid': 'pause-button' }, 'Pause');
  const cancel = h('button', { type: 'button', disabled: true, class: 'secondary', 'data-testid': 'cancel-button' }, 'Cancel');
  const stepChart = createLineChart({ title: 'Training loss per step (log scale)', xLabel: 'step', logY: true });
  const epochChart = createLineChart({ title: 'Total loss per epoch: training vs validation (log scale)', xLabel: 'epoch', logY: true });
  // Shown from the first run on: empty axes before training only take room.
  const charts = h('div', { class: 'charts', hidden: true }, stepChart.element, epochChart.element);
  const panel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'train-title', 'data-testid': 'train-panel' },
    h('h2', { id: 'train-title' }, 'Train trVAE'),
    form,
    h('div', { class: 'run-controls' }, progress, pause, cancel),
    status,
    charts,
  );

  let abort: AbortController | undefined;
  let worker: Worker | undefined;
  let api: Comlink.Remote<TrainWorkerApi> | undefined;
  let paused = false;

  const setStatus = (text: string, isError = false) => {
    status.textContent = text;
    status.classList.toggle('error', isError);
  };
  const running = (on: boolean) => {
    (form.querySelector('[data-testid=train-button]') as HTMLButtonElement).disabled = on;
    pause.disabled = !on;
    cancel.disabled = !on;
  };

  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    void (paused ? api?.pause() : api?.resume());
    if (paused) setStatus('Paused.');
  });
  cancel.addEventListener('click', () => {
    abort?.abort();
    void api?.cancel();
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run();
  });

  async function run(): Promise<void> {
    let values: FormValues;
    try {
      values = readForm(form);
    } catch (e) {
      setStatus((e as Error).message, true);
      return;
    }
    abort = new AbortController();
    running(true);
    charts.hidden = false;
    stepChart.clear();
    epochChart.clear();
    try {
      const started = performance.now();
      const onPrepare = (phase: string, done: number, total: number) => {
        progress.value = done / total;
        setStatus(`${phase}: ${formatInt(done)} / ${formatInt(total)} cells`);
      };
      const { choices } = values;
      const model = { hidden: values.hidden, latent: values.latent, beta: values.beta, eta: values.eta, recon: values.recon };
      // The NB loss needs each batch's raw counts and library sizes, which the loader's pools carry.
      const streaming = values.recon === 'nb' || inMemoryBytes(source, choices.nGenes) > values.memoryMb * 2 ** 20;
      let request: WorkerTrainRequest;
      let transfer: Transferable[] = [];
      let nTrain: number;
      let data: TrainingData | undefined;
      if (streaming) {
        // Out of core: the worker selects genes and streams batches through the loader.
        const nConditions = categoriesOf(choices.conditionKey).length;
        nTrain = Math.floor(source.nObs * (1 - values.validationFraction));
        request = {
          dataset: {
            source: input,
            conditionKey: choices.conditionKey,
            holdout: choices.holdout && choices.cellTypeKey ? { ...choices.holdout, cellTypeKey: choices.cellTypeKey } : undefined,
            nGenes: choices.nGenes,
          },
          config: { ...model, nConditions, batchSize: Math.min(values.batchSize, nTrain) },
          schedule: { epochs: values.epochs },
          validationFraction: values.validationFraction,
          backend,
        };
        setStatus(`Streaming ${formatInt(source.nObs)} cells through the out-of-core loader (${backend.toUpperCase()}); selecting ${formatInt(choices.nGenes)} genes first…`);
      } else {
        data = await prepareTrainingData(source, choices, onPrepare, abort.signal);
        const trainSet = subsetRows(data.dataset, data.trainRows);
        nTrain = Math.round(trainSet.conditions.length * (1 - values.validationFraction));
        if (nTrain < 2) throw new Error(`only ${nTrain} cells are left for training after the held-out pair and the validation split`);
        request = {
          dataset: trainSet,
          // A small dataset still gets one full batch per epoch.
          config: { ...model, nConditions: data.conditions.categories.length, batchSize: Math.min(values.batchSize, nTrain) },
          schedule: { epochs: values.epochs },
          validationFraction: values.validationFraction,
          backend,
        };
        transfer = [trainSet.x.buffer, trainSet.conditions.buffer];
        setStatus(`Training on ${formatInt(data.trainRows.length)} cells × ${formatInt(data.dataset.nGenes)} genes in memory (${backend.toUpperCase()})…`);
      }
      const batchSize = request.config.batchSize as number;
      const totalSteps = Math.max(1, Math.floor(nTrain / batchSize)) * values.epochs;
      worker = new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module' });
      api = Comlink.wrap<TrainWorkerApi>(worker);
      // A worker that fails to load or dies never answers its comlink call: fail the run instead of hanging.
      const died = new Promise<never>((_, reject) => {
        worker?.addEventListener('error', (e) => reject(new Error(`the training worker failed: ${e.message || 'it could not start'}`)));
        worker?.addEventListener('messageerror', () => reject(new Error('the training worker sent a message that could not be read')));
      });
      const trainingStarted = performance.now();
      let lastDraw = 0;
      const onEvent = (e: TrainingEvent) => {
        if (e.kind === 'step') {
          progress.value = Math.min(1, e.step / totalSteps);
          if (e.losses) for (const [term, value] of Object.entries(e.losses)) stepChart.add(term, e.step, value);
          const seconds = (performance.now() - trainingStarted) / 1000;
          const cellsPerSecond = (e.step * batchSize) / seconds;
          const eta = (totalSteps - e.step) * (seconds / e.step);
          if (!paused) setStatus(`Epoch ${e.epoch + 1}/${values.epochs} · step ${formatInt(e.step)}/${formatInt(totalSteps)} · ${formatInt(Math.round(cellsPerSecond))} cells/s · ETA ${Math.ceil(eta)} s`);
        } else if (e.kind === 'epoch') {
          epochChart.add('train', e.record.epoch + 1, e.record.train.total);
          if (e.record.validation) epochChart.add('validation', e.record.epoch + 1, e.record.validation.total);
          epochChart.draw();
        } else if (e.kind === 'lr') {
          setStatus(`Learning rate reduced to ${e.learningRate.toExponential(1)} at epoch ${e.epoch + 1}`);
        }
        if (performance.now() - lastDraw > 250) {
          stepChart.draw();
          lastDraw = performance.now();
        }
      };
      const result = await Promise.race([died, api.train(Comlink.transfer(request, transfer), Comlink.proxy(onEvent))]);
      stepChart.draw();
      epochChart.draw();
      progress.value = 1;
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const outcome = {
        completed: `Trained ${result.epoch} epochs in ${seconds} s.`,
        'early-stopping': `Stopped early after ${result.epoch} epochs (validation loss stopped improving), ${seconds} s.`,
        cancelled: `Cancelled after ${result.epoch} epochs; the model so far is kept.`,
        'non-finite': `Stopped: ${result.message ?? 'a loss became NaN/Inf'}. The last good parameters are kept.`,
      }[result.stopReason];
      setStatus(outcome, result.stopReason === 'non-finite');
      if (result.epoch === 0 && result.stopReason === 'cancelled') return;
      // The worker built its config the same way from the same request.
      const nGenes = data ? data.dataset.nGenes : (result.genes?.length ?? 0);
      const config = makeConfig({ ...request.config, nGenes });
      if (!data) {
        if (!result.genes) throw new Error('the worker did not say which genes it trained on');
        data = await sampleForResults(source, choices, result.genes, onPrepare, { signal: abort.signal });
        setStatus(`${outcome} Results below use ${formatInt(data.dataset.conditions.length)} sampled cells.`);
      }
      onTrained({ config, state: result.state, data, choices, result });
    } catch (e) {
      const err = e as Error;
      setStatus(err.name === 'AbortError' ? 'Cancelled.' : `Training failed: ${err.message}`, err.name !== 'AbortError');
    } finally {
      worker?.terminate();
      worker = undefined;
      api = undefined;
      paused = false;
      pause.textContent = 'Pause';
      running(false);
    }
  }

  return panel;
}
