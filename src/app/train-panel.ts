// The training panel: a form generated from the one declaration of the training options (the CLI's
// flags, with the same defaults and explanations), a run in the training worker with live loss
// curves (uPlot), progress (epoch, step, ETA without the pauses), a dashboard (loader vs trainer
// cells/s, time waiting for data, bytes from network vs cache, backend), pause/resume/cancel. The
// worker prepares the data, trains and computes the results; this page only draws.
import * as Comlink from 'comlink';
import type { TrainingBackend } from '../gpu/adapter.ts';
import { DatasetError } from '../model/dataset.ts';
import { formatDefault, trainingOptionSpecs, trainingOptionsFrom, type OptionGroup, type OptionKey, type OptionSpec, type TrainingOptions } from '../model/options.ts';
import type { EpochRecord } from '../model/train/train.ts';
import type { PairProgress, PairResult, PredictionPair } from '../model/results.ts';
import type { ShownCells } from '../model/dataset-latent.ts';
import type { TrainWorkerApi, TrainWorkerEvent, TrainWorkerResult } from '../model/train/worker-api.ts';
import { ExportError } from '../model/export.ts';
import { registerErrorClasses } from '../rpc/errors.ts';
import { wrapWorkerApi } from '../rpc/expose.ts';
import type { AnnDataSource } from '../source/types.ts';
import { createDashboard, type DashboardState } from './dashboard.ts';
import { formatInt, h } from './dom.ts';
import { createLossChart } from './loss-chart.ts';
import type { OptionTexts } from './link-config.ts';
import type { WorkerInput } from './open-dataset.ts';
import { createRunClock, formatDuration, runRate, type RunClock } from './run-clock.ts';
import { forgetRun, loadSavedRun, saveRunPlan, type SavedRun } from './saved-runs.ts';

registerErrorClasses({ DatasetError, ExportError });

export interface TrainedModel {
  readonly options: TrainingOptions;
  readonly result: TrainWorkerResult;
  /** Another pair's counterfactual, computed by the run's worker (kept until the next run). */
  readonly predict?: (pair: PredictionPair, onProgress?: PairProgress) => Promise<PairResult>;
  /** Another sample of the latent space for the embedding view, from the run's worker. */
  readonly showCells?: (count: number) => Promise<ShownCells>;
}

// The terms as they enter the total loss: weight × term.
const weightSymbols: Readonly<Record<string, string>> = { recon: 'η', kl: 'α', mmd: 'β' };
const termNames: Readonly<Record<string, string>> = { recon: 'reconstruction', kl: 'KL', mmd: 'MMD' };
const weightedLabel = (term: string) => `${weightSymbols[term] ?? 'w'}·${termNames[term] ?? term}`;

const phaseLines: Readonly<Record<string, string>> = {
  'reading obs': 'Reading the cell annotations',
  'selecting genes': 'Selecting highly variable genes',
  'opening the loader': 'Opening the loader (an in-memory run reads the selected genes of every cell now)',
  'computing results': 'Computing the results (latent space, held-out prediction, export)',
};

const fieldId = (key: OptionKey) => `train-${key}`;

/** A control with its label and a one-line explanation (the CLI's help text), linked for assistive tech. */
function labelled(spec: OptionSpec, control: HTMLElement): HTMLElement {
  const def = formatDefault(spec.key);
  const hint = `${control.id}-hint`;
  control.setAttribute('aria-describedby', hint);
  return h('div', { class: 'field' }, h('label', { for: control.id }, spec.label), control, h('small', { class: 'hint', id: hint }, `${spec.help}${def !== undefined ? ` (default ${def})` : ''}`));
}

function selectControl(key: OptionKey, options: readonly string[], selected: string | undefined, none?: string): HTMLSelectElement {
  return h(
    'select',
    { name: key, id: fieldId(key) },
    none !== undefined ? h('option', { value: '' }, none) : null,
    ...options.map((o) => h('option', { value: o, selected: o === selected }, o)),
  );
}

function inputControl(spec: OptionSpec, value: string | undefined): HTMLInputElement {
  const numeric = spec.kind === 'int' || spec.kind === 'number';
  return h('input', {
    name: spec.key,
    id: fieldId(spec.key),
    type: numeric ? 'number' : 'text',
    value,
    step: spec.kind === 'number' ? 'any' : undefined,
    min: numeric ? spec.min : undefined,
    max: numeric ? spec.max : undefined,
    placeholder: spec.kind === 'text' ? spec.placeholder : undefined,
  });
}

interface CategoricalInfo {
  readonly name: string;
  readonly categories?: readonly string[];
  readonly counts?: readonly number[];
}

/** The pair offered for evaluation by default: the smallest cell type × the first non-reference condition. */
export function defaultHoldout(cellTypes: CategoricalInfo | undefined, conditions: CategoricalInfo | undefined): string | undefined {
  if (!cellTypes?.categories || !conditions?.categories || conditions.categories.length < 2 || cellTypes.categories.length < 2) return undefined;
  const counts = cellTypes.counts ?? cellTypes.categories.map(() => 1);
  let smallest = 0;
  counts.forEach((n, i) => {
    if (n > 0 && (counts[smallest] === 0 || n < counts[smallest])) smallest = i;
  });
  const reference = conditions.categories.findIndex((c) => /^(control|ctrl|unstim|untreated|baseline|none|vehicle)/i.test(c));
  const target = conditions.categories.find((_, i) => i !== Math.max(0, reference));
  const cellTypeNames = cellTypes.categories;
  return target === undefined ? undefined : `${cellTypeNames[smallest]}:${target}`;
}

export interface TrainPanelHooks {
  readonly onTrained: (model: TrainedModel) => void;
  /** A run starts (the previous run's results are cleared). */
  readonly onStart?: () => void;
  /** OPFS name of this dataset's run: checkpointed per epoch, offered for resuming after a reload. */
  readonly runName?: string;
  /** More buttons next to Train (e.g. Copy link). */
  readonly actions?: readonly HTMLElement[];
  /** Every event of a run (the web component re-emits them), and how each run ended. */
  readonly onEvent?: (event: TrainWorkerEvent) => void;
  readonly onEnd?: (end: { readonly model: TrainedModel } | { readonly error: unknown }) => void;
}

export interface TrainPanel {
  readonly element: HTMLElement;
  /** The form's current text values (holdout "CT:COND", or '' for none). */
  values(): OptionTexts;
  /** Sets the form from text values (a link's); returns what does not fit this dataset. */
  apply(values: OptionTexts): string[];
  /** Trains with the form's options, as the Train button does; rejects when the run fails or one is running. */
  start(): Promise<TrainedModel>;
  /** Cancels the run in flight (it ends with the model so far). */
  cancel(): void;
  /** The dataset is closed: cancels a run in flight and ends the worker kept for predictions. */
  dispose(): void;
}

/** A run's options as the form's text values. */
export function optionTexts(options: TrainingOptions): OptionTexts {
  const out: Record<string, string> = {};
  for (const spec of trainingOptionSpecs) {
    const v = options[spec.key];
    out[spec.key] = v === undefined ? '' : Array.isArray(v) ? v.join(',') : String(v);
  }
  return out;
}

/** `input` opens the same dataset again in the worker, which trains on it. */
export function renderTrainPanel(source: AnnDataSource, input: WorkerInput, backend: TrainingBackend, hooks: TrainPanelHooks): TrainPanel {
  const { onTrained, onStart = () => {}, runName } = hooks;
  const categorical = source.obsColumns.filter((c) => c.kind === 'categorical' || c.kind === 'string');
  const names = categorical.map((c) => c.name);
  const guess = (pattern: RegExp) => names.find((n) => pattern.test(n));
  const info = (name?: string): CategoricalInfo | undefined => categorical.find((c) => c.name === name);
  const conditionGuess = guess(/^(condition|stim|treatment|perturbation)/i) ?? names[0];
  const cellTypeGuess = guess(/cell.?type|celltype|cluster|louvain|leiden/i);

  // The held-out pair: two selects (cell type, condition) that together are the `holdout` option.
  const holdoutCellType = selectControl('holdout', [], undefined, '— none —');
  holdoutCellType.name = 'holdoutCellType';
  holdoutCellType.id = 'train-holdoutCellType';
  const holdoutCondition = selectControl('holdout', [], undefined, '— none —');
  holdoutCondition.name = 'holdoutCondition';
  holdoutCondition.id = 'train-holdoutCondition';
  const refillHoldout = () => {
    const cellTypes = info(cellTypeSelect.value);
    const conditions = info(conditionSelect.value);
    const offered = defaultHoldout(cellTypes, conditions);
    const [ct, cond] = offered ? [offered.slice(0, offered.lastIndexOf(':')), offered.slice(offered.lastIndexOf(':') + 1)] : [undefined, undefined];
    holdoutCellType.replaceChildren(h('option', { value: '' }, '— none —'), ...(cellTypes?.categories ?? []).map((o) => h('option', { value: o, selected: o === ct }, o)));
    holdoutCondition.replaceChildren(h('option', { value: '' }, '— none —'), ...(conditions?.categories ?? []).map((o) => h('option', { value: o, selected: o === cond }, o)));
  };

  const conditionSelect = selectControl('conditionKey', names, conditionGuess);
  const cellTypeSelect = selectControl('cellTypeKey', names, cellTypeGuess, '—');
  const field = (spec: OptionSpec): HTMLElement => {
    const def = formatDefault(spec.key);
    switch (spec.key) {
      case 'conditionKey':
        return labelled(spec, conditionSelect);
      case 'cellTypeKey':
        return labelled(spec, cellTypeSelect);
      case 'holdout':
        return h(
          'fieldset',
          { class: 'holdout', title: spec.help },
          h('legend', {}, spec.label),
          h('div', { class: 'field' }, h('label', { for: 'train-holdoutCellType' }, 'Held-out cell type'), holdoutCellType),
          h('div', { class: 'field' }, h('label', { for: 'train-holdoutCondition' }, 'Held-out condition'), holdoutCondition),
          h('small', { class: 'hint' }, `${spec.help}; offered by default for the evaluation (the smallest cell type), set both to none to train on every cell`),
        );
      case 'layer':
        return labelled(spec, selectControl('layer', Object.keys(source.layers), undefined, 'X'));
      case 'genes':
        return labelled(spec, inputControl(spec, String(Math.min(Number(def), source.nVars))));
      default:
        return labelled(spec, spec.kind === 'choice' ? selectControl(spec.key, spec.choices, def) : inputControl(spec, def));
    }
  };
  const groups: Record<OptionGroup, string> = { data: '', schedule: 'Schedule', model: 'Model', loss: 'Loss and optimiser' };
  const form = h(
    'form',
    { class: 'train-form', 'data-testid': 'train-form' },
    ...(Object.keys(groups) as OptionGroup[]).map((group) => {
      const fields = trainingOptionSpecs.filter((s) => s.group === group).map(field);
      // Fields in a grid of their own: a <details> element does not lay its content out as a grid.
      return group === 'data' ? h('div', { class: 'fields' }, ...fields) : h('details', { class: 'advanced' }, h('summary', {}, groups[group]), h('div', { class: 'fields' }, ...fields));
    }),
    h('div', { class: 'buttons' }, h('button', { type: 'submit', 'data-testid': 'train-button' }, 'Train'), ...(hooks.actions ?? [])),
  );
  refillHoldout();
  conditionSelect.addEventListener('change', refillHoldout);
  cellTypeSelect.addEventListener('change', refillHoldout);
  // The NB loss is on another scale than SSE (per-cell log-likelihood): η = 1 is its usual weight.
  form.querySelector('[name=recon]')?.addEventListener('change', (e) => {
    const eta = form.querySelector<HTMLInputElement>('[name=eta]');
    if (eta) eta.value = (e.target as HTMLSelectElement).value === 'nb' ? '1' : (formatDefault('eta') ?? '');
  });

  const resumeBox = h('div', { class: 'resume', hidden: true, 'data-testid': 'resume-box' });
  const progress = h('progress', { max: 1, value: 0, 'aria-label': 'Training progress', 'data-testid': 'train-progress' });
  const status = h('p', { class: 'status', role: 'status', 'data-testid': 'train-status' });
  const detail = h('p', { class: 'detail', 'data-testid': 'train-detail' });
  const pause = h('button', { type: 'button', disabled: true, 'data-testid': 'pause-button' }, 'Pause');
  const cancel = h('button', { type: 'button', disabled: true, class: 'secondary', 'data-testid': 'cancel-button' }, 'Cancel');
  const stepChart = createLossChart({ title: 'Training loss per step: the total and its weighted terms (η·reconstruction + α·KL + β·MMD)', xLabel: 'step', logY: true, emptyText: 'The first points come within the first steps.' });
  const epochChart = createLossChart({ title: 'Total loss per epoch: training vs validation', xLabel: 'epoch', logY: true, emptyText: 'The first points come at the end of the first epoch.' });
  const dashboard = createDashboard();
  const runControls = h('div', { class: 'run-controls' }, progress, pause, cancel);
  // Shown from the first run on: empty axes before training only take room.
  const charts = h('div', { class: 'charts', hidden: true }, stepChart.element, epochChart.element);
  const panel = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'train-title', 'data-testid': 'train-panel' },
    h('h2', { id: 'train-title' }, 'Train trVAE'),
    resumeBox,
    form,
    runControls,
    status,
    dashboard.element,
    detail,
    charts,
  );

  let api: Comlink.Remote<TrainWorkerApi> | undefined;
  // The last run's worker holds its sample and model for the results panel's predictions.
  let kept: Worker | undefined;
  let paused = false;
  // The run's clock: started at its first step, stopped while paused.
  let clock: RunClock | undefined;

  // Step events can arrive faster than frames: the latest progress line, bar and dashboard are
  // written once per animation frame, not once per event.
  const pendingWrites = new Map<string, () => void>();
  const inNextFrame = (key: string, write: () => void) => {
    if (pendingWrites.size === 0) {
      requestAnimationFrame(() => {
        const writes = [...pendingWrites.values()];
        pendingWrites.clear();
        for (const w of writes) w();
      });
    }
    pendingWrites.set(key, write);
  };
  const setStatus = (text: string, isError = false) => {
    pendingWrites.delete('status');
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
    if (paused) clock?.pause(performance.now());
    else clock?.resume(performance.now());
    void (paused ? api?.pause() : api?.resume());
    if (paused) setStatus('Paused.');
  });
  cancel.addEventListener('click', () => void api?.cancel());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    // Failures are on the page (status) and told through onEnd.
    run().catch(() => {});
  });

  function readOptions(): TrainingOptions {
    const data = new FormData(form);
    const values: Partial<Record<OptionKey, string>> = {};
    for (const spec of trainingOptionSpecs) {
      if (spec.key === 'holdout') continue;
      const v = data.get(spec.key);
      if (typeof v === 'string') values[spec.key] = v;
    }
    const ct = String(data.get('holdoutCellType') ?? '');
    const cond = String(data.get('holdoutCondition') ?? '');
    if (Boolean(ct) !== Boolean(cond)) throw new DatasetError(`the held-out pair needs both a cell type and a condition (got ${ct ? `cell type "${ct}" only` : `condition "${cond}" only`}); set both, or neither to train on every cell`);
    if (ct) values.holdout = `${ct}:${cond}`;
    return trainingOptionsFrom(values);
  }

  async function run(saved?: SavedRun): Promise<TrainedModel> {
    const end = (e: unknown): never => {
      hooks.onEnd?.({ error: e });
      throw e;
    };
    if (api) end(new Error('a run is in progress; cancel it first'));
    let options: TrainingOptions;
    try {
      options = saved ? saved.options : readOptions();
    } catch (e) {
      setStatus((e as Error).message, true);
      return end(e);
    }
    onStart();
    running(true);
    resumeBox.hidden = true;
    // A new run replaces the interrupted one.
    if (runName && !saved) await forgetRun(runName).catch(() => {});
    charts.hidden = false;
    // The form above can be long (advanced options open): bring the progress and curves into view.
    runControls.scrollIntoView({ block: 'start' });
    stepChart.clear();
    epochChart.clear();
    dashboard.clear();
    const addEpoch = (record: EpochRecord) => epochChart.add(record.epoch + 1, { training: record.train.total, ...(record.validation ? { validation: record.validation.total } : {}) });
    epochChart.declare(['training', 'validation']);
    for (const record of saved?.history ?? []) addEpoch(record);
    detail.textContent = '';
    progress.value = 0;
    kept?.terminate();
    kept = undefined;
    const worker = new Worker(new URL('../../workers/train.worker.ts', import.meta.url), { type: 'module', name: 'training' });
    api = wrapWorkerApi<TrainWorkerApi>(worker);
    try {
      const started = performance.now();
      setStatus(`Preparing the run (${backend.toUpperCase()})…`);
      // A worker that fails to load or dies never answers its comlink call: fail the run instead of hanging.
      const died = new Promise<never>((_, reject) => {
        worker.addEventListener('error', (e) => reject(new Error(`the training worker failed: ${e.message || 'it could not start'}`)));
        worker.addEventListener('messageerror', () => reject(new Error('the training worker sent a message that could not be read')));
      });
      let plan: Extract<TrainWorkerEvent, { kind: 'plan' }> | undefined;
      let firstStep = 0;
      // Two WASM threads measured 1.5× faster per step than one in Chromium (bench/train-threads.ts),
      // but ORT's threads spin while they wait: one core stays free for the page (its frames, the
      // charts), so a 2-core machine trains on one thread. Threads need cross-origin isolation.
      const wasmThreads = crossOriginIsolated ? Math.max(1, Math.min(2, (navigator.hardwareConcurrency || 1) - 1)) : 1;
      let board: DashboardState = {
        backend: backend === 'webgpu' ? 'WebGPU' : `WASM (CPU, ${wasmThreads} thread${wasmThreads === 1 ? '' : 's'})`,
        origin: input instanceof Blob ? 'file' : 'url' in input ? 'store' : 'local copy',
      };
      const show = (next: Partial<DashboardState>) => {
        board = { ...board, ...next };
        inNextFrame('dashboard', () => dashboard.update(board));
      };
      clock = undefined;
      const onEvent = (e: TrainWorkerEvent) => {
        hooks.onEvent?.(e);
        const now = performance.now();
        if (e.kind === 'phase') {
          const line = `${phaseLines[e.phase] ?? e.phase}${e.total > 1 ? `: ${formatInt(e.done)} / ${formatInt(e.total)} cells` : '…'}`;
          inNextFrame('progress', () => (progress.value = e.total > 0 ? e.done / e.total : 0));
          inNextFrame('status', () => setStatus(line));
          return;
        }
        if (e.kind === 'loader') {
          show({ loader: e });
          return;
        }
        if (e.kind === 'plan') {
          plan = e;
          if (runName && !saved) void saveRunPlan(runName, { options, epochs: e.epochs }).catch(() => {});
          detail.textContent = e.log.join(' · ');
          show({ inMemory: e.inMemory });
          stepChart.declare(['total', ...Object.keys(e.lossWeights).filter((t) => options.model !== 'scgen' || t !== 'mmd').map(weightedLabel)]);
          setStatus(`Training on ${formatInt(e.cells.train)} cells × ${formatInt(e.genes)} genes ${e.inMemory ? 'in memory' : 'streamed through the out-of-core loader'}: building the training graph for ${e.epochs} epoch${e.epochs === 1 ? '' : 's'} of ${e.stepsPerEpoch} step${e.stepsPerEpoch === 1 ? '' : 's'}…`);
          return;
        }
        if (!plan) return;
        const totalSteps = plan.epochs * plan.stepsPerEpoch;
        if (e.kind === 'step') {
          inNextFrame('progress', () => (progress.value = Math.min(1, e.step / totalSteps)));
          if (e.losses) {
            const terms: Record<string, number> = { total: e.losses.total };
            for (const [term, value] of Object.entries(e.losses)) if (term !== 'total') terms[weightedLabel(term)] = (plan.lossWeights[term] ?? 1) * value;
            stepChart.add(e.step, terms);
          }
          // Rate and ETA from this session's steps over its running time (graph building and pauses left out).
          if (!clock) {
            clock = createRunClock(now);
            firstStep = e.step;
            if (paused) clock.pause(now);
          }
          const { cellsPerSecond, etaSeconds } = runRate(clock, now, e.step - firstStep, totalSteps - e.step, plan.batchSize);
          if (cellsPerSecond > 0) show({ trainerCellsPerSecond: cellsPerSecond });
          const line = `Epoch ${e.epoch + 1}/${plan.epochs} · step ${formatInt(e.step)}/${formatInt(totalSteps)} · ETA ${etaSeconds === undefined ? '…' : formatDuration(etaSeconds)}${plan.inMemory ? '' : ' · out-of-core loader'}`;
          if (!paused) inNextFrame('status', () => setStatus(line));
        } else if (e.kind === 'epoch') {
          const epochs = board.epochs ?? { seconds: 0, waitSeconds: 0 };
          show({ epochs: { seconds: epochs.seconds + e.record.seconds, waitSeconds: epochs.waitSeconds + e.record.waitSeconds } });
          addEpoch(e.record);
          if (e.record.epoch + 1 === plan.epochs) inNextFrame('status', () => setStatus(`Epoch ${plan?.epochs}/${plan?.epochs} done: exporting the model…`));
        } else if (e.kind === 'lr') {
          setStatus(`Learning rate reduced to ${e.learningRate.toExponential(1)} at epoch ${e.epoch + 1}`);
        }
      };
      const request = { source: input, options, backend, checkpointName: runName, resume: saved !== undefined, wasmThreads };
      const result = await Promise.race([died, api.train(request, Comlink.proxy(onEvent))]);
      // Finished runs leave nothing to resume; a cancelled one stays resumable.
      if (runName && result.stopReason !== 'cancelled') await forgetRun(runName).catch(() => {});
      progress.value = 1;
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const best = result.bestEpoch >= 0 ? ` Parameters of the best epoch (${result.bestEpoch + 1}) are kept.` : '';
      const epochs = `${result.epoch} epoch${result.epoch === 1 ? '' : 's'}`;
      const outcome = {
        completed: `Trained ${epochs} in ${seconds} s.${best}`,
        'early-stopping': `Stopped early after ${epochs} (validation loss stopped improving), ${seconds} s.${best}`,
        cancelled: `Cancelled after ${epochs}; the model so far is kept${runName ? ', and the run can be resumed' : ''}.`,
        'non-finite': `Stopped: ${result.message ?? 'a loss became NaN/Inf'}. No results are shown for this run.`,
      }[result.stopReason];
      const shown = result.results?.cells;
      const note = shown && (!plan?.inMemory || shown.shown < shown.of) ? ` Results below use ${formatInt(shown.shown)} sampled cells.` : '';
      const resumed = result.resumedFromEpoch !== undefined ? `Resumed from epoch ${result.resumedFromEpoch}. ` : '';
      setStatus(`${resumed}${outcome}${note}`, result.stopReason === 'non-finite');
      const remote = api;
      const model: TrainedModel = {
        options, result,
        predict: result.results ? (pair, onProgress) => remote.predict(pair, onProgress && Comlink.proxy(onProgress)) : undefined,
        showCells: result.results ? (count) => remote.showCells(count) : undefined,
      };
      if (result.results) onTrained(model);
      if (result.results) kept = worker;
      hooks.onEnd?.({ model });
      return model;
    } catch (e) {
      setStatus(`Training failed: ${(e as Error).message}`, true);
      return end(e);
    } finally {
      if (kept !== worker) worker.terminate();
      api = undefined;
      paused = false;
      pause.textContent = 'Pause';
      running(false);
      void offerResume();
    }
  }

  function values(): OptionTexts {
    const data = new FormData(form);
    const out: Record<string, string> = {};
    for (const spec of trainingOptionSpecs) {
      const v = data.get(spec.key);
      if (spec.key !== 'holdout' && typeof v === 'string') out[spec.key] = v;
    }
    out.holdout = holdoutCellType.value && holdoutCondition.value ? `${holdoutCellType.value}:${holdoutCondition.value}` : '';
    return out;
  }

  function apply(texts: OptionTexts): string[] {
    const problems: string[] = [];
    const choose = (select: HTMLSelectElement, value: string, what: string) => {
      if ([...select.options].some((o) => o.value === value)) select.value = value;
      else problems.push(`${what} "${value}" is not in this dataset (${[...select.options].map((o) => o.value).filter(Boolean).join(', ') || 'none'})`);
    };
    if (texts.conditionKey !== undefined) choose(conditionSelect, texts.conditionKey, 'condition: the obs column');
    if (texts.cellTypeKey !== undefined) choose(cellTypeSelect, texts.cellTypeKey, 'cell_type: the obs column');
    refillHoldout();
    if (texts.holdout !== undefined) {
      const i = texts.holdout.lastIndexOf(':');
      holdoutCellType.value = '';
      holdoutCondition.value = '';
      if (texts.holdout) {
        choose(holdoutCellType, texts.holdout.slice(0, i), 'holdout: the cell type');
        choose(holdoutCondition, texts.holdout.slice(i + 1), 'holdout: the condition');
        if (!holdoutCellType.value || !holdoutCondition.value) holdoutCellType.value = holdoutCondition.value = '';
      }
    }
    for (const spec of trainingOptionSpecs) {
      const text = texts[spec.key];
      if (text === undefined || ['conditionKey', 'cellTypeKey', 'holdout'].includes(spec.key)) continue;
      const control = form.querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${spec.key}"]`);
      if (!control) continue;
      if (control instanceof HTMLSelectElement) choose(control, spec.key === 'layer' && text === 'X' ? '' : text, `${spec.flag}: the value`);
      else control.value = text;
      // A changed advanced option is shown, not hidden in a closed section.
      const section = control.closest('details');
      if (section && text !== formatDefault(spec.key)) section.open = true;
    }
    return problems;
  }

  async function offerResume(): Promise<void> {
    const saved = runName ? await loadSavedRun(runName).catch(() => undefined) : undefined;
    if (!saved || api) {
      resumeBox.hidden = true;
      return;
    }
    const resume = h('button', { type: 'button', 'data-testid': 'resume-button' }, `Resume training (epoch ${saved.epoch} of ${saved.epochs})`);
    const discard = h('button', { type: 'button', class: 'secondary', 'data-testid': 'discard-run' }, 'Discard');
    resume.addEventListener('click', () => {
      apply(optionTexts(saved.options));
      run(saved).catch(() => {});
    });
    discard.addEventListener('click', () => void forgetRun(runName as string).then(offerResume));
    resumeBox.replaceChildren(
      h('p', {}, `A run on this dataset stopped after epoch ${saved.epoch} of ${saved.epochs} (checkpoint kept in this browser). Resuming continues it with the same options, seed and split.`),
      h('div', { class: 'buttons' }, resume, discard),
    );
    resumeBox.hidden = false;
  }
  void offerResume();

  const dispose = () => {
    void api?.cancel();
    kept?.terminate();
    kept = undefined;
  };
  return { element: panel, values, apply, start: () => run(), cancel: () => void api?.cancel(), dispose };
}
