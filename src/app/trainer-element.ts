// <trvae-trainer src="https://…/atlas.zarr" condition-key="…" holdout="NK:stimulated" epochs="20" …>:
// the whole trainer as a web component, styles encapsulated in a shadow root. Every training option
// is an attribute (its CLI flag) and a reflected property (its option key), generated from the one
// option table; train(), cancel(), exportModel() and open() drive it from script, and it tells the
// host what happens through DOM events (TrvaeTrainerEventMap). use-location: configured by the
// page's link, with a "Copy link" button (the app page). format-probe-worker: the URL of
// probe-sw.js (the app page's), which tells a new store's zarr format without a 404 in the console.
import styles from './style.css?inline';
import { installFastBlosc } from '../loader/codecs/blosc.ts';
import { parseOptionValue, trainingOptionSpecs, type OptionKey } from '../model/options.ts';
import type { TrainWorkerEvent } from '../model/train/worker-api.ts';
import { mountTrainer, type Trainer } from './app.ts';
import type { OptionTexts } from './link-config.ts';
import { explainOpenError } from './open-dataset.ts';
import type { TrainedModel, TrainPanel } from './train-panel.ts';
import { progressTracker, TrainerError, type TrainerErrorCode, type TrvaeTrainerEventMap } from './trainer-events.ts';

export * from './trainer-events.ts';
export type { TrainedModel } from './train-panel.ts';

/** `hidden` is a global HTML attribute (it hides the element): that option is `hidden-layers` here. */
const renamed: Partial<Record<OptionKey, string>> = { hidden: 'hidden-layers' };
const camel = (attribute: string) => attribute.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/** Each training option's attribute (its CLI flag, kebab-case) and property (camelCase). */
export const optionAttributes: readonly { readonly key: OptionKey; readonly attribute: string; readonly property: string }[] = trainingOptionSpecs.map((spec) => {
  const attribute = renamed[spec.key] ?? spec.flag;
  return { key: spec.key, attribute, property: camel(attribute) };
});

type PropertyOf<K extends OptionKey> = K extends 'hidden' ? 'hiddenLayers' : K;
/** The option properties: each reflects its attribute (null when absent; setting null removes it). */
export type TrainerOptionProperties = { [K in OptionKey as PropertyOf<K>]: string | null };

/** The run's export: trvae_{encode,mmd,predict}.onnx, model.json and the results' files, as bytes by file name. */
export type ModelFiles = Map<string, Uint8Array>;

const utf8 = new TextEncoder();

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- the option properties are defined on the prototype from the option table (below the class)
export interface TrvaeTrainerElement extends TrainerOptionProperties {
  addEventListener<K extends keyof TrvaeTrainerEventMap>(type: K, listener: (this: TrvaeTrainerElement, event: TrvaeTrainerEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof TrvaeTrainerEventMap>(type: K, listener: (this: TrvaeTrainerElement, event: TrvaeTrainerEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class TrvaeTrainerElement extends HTMLElement {
  static readonly observedAttributes = ['src', ...optionAttributes.map((o) => o.attribute)];
  #trainer?: Trainer;
  #last?: TrainedModel;
  #epochs = 0;
  #cancelling = false;
  /** The last run ended after cancel() (train() rejects with 'cancelled' if it had no model). */
  #endedByCancel = false;
  /** A run is in flight (started here or with the Train button). */
  #running = false;
  #track = progressTracker();
  #problemList: readonly string[] = [];
  #openError?: string;
  #configuring: Promise<void> = Promise.resolve();

  /** The zarr store's URL (relative URLs resolve against the page); setting it opens the store. */
  get src(): string | null {
    return this.getAttribute('src');
  }
  set src(value: string | null) {
    if (value === null) this.removeAttribute('src');
    else this.setAttribute('src', value);
  }

  /** What the last configuration change could not use (an invalid value, a column the dataset lacks); [] when all fit. */
  get problems(): readonly string[] {
    return this.#problemList;
  }

  /** The last run's model (options, config, parameters, history, files, results), or undefined. */
  get trainedModel(): TrainedModel | undefined {
    return this.#last;
  }

  connectedCallback(): void {
    // Properties set before the element was defined are own properties that hide the accessors: pass them on.
    for (const { property } of optionAttributes) {
      if (!Object.hasOwn(this, property)) continue;
      const value = (this as unknown as Record<string, unknown>)[property];
      delete (this as unknown as Record<string, unknown>)[property];
      (this as unknown as Record<string, unknown>)[property] = value;
    }
    const shadow = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(styles);
    shadow.adoptedStyleSheets = [sheet];
    this.#trainer = mountTrainer(shadow, {
      src: this.src ?? undefined,
      useLocation: this.hasAttribute('use-location'),
      formatProbeWorker: this.getAttribute('format-probe-worker') ?? undefined,
      onOpened: (source, panel) => {
        this.#configure(panel, this.#attributeTexts());
        this.#emit('opened', source);
      },
      onOpenFailed: (error) => {
        this.#openError = explainOpenError(error);
        this.#fail('open-failed', this.#openError);
      },
      onRunEvent: (event) => this.#onRunEvent(event),
      onRunEnd: (end) => this.#onRunEnd(end),
    });
  }

  disconnectedCallback(): void {
    void this.#trainer?.dispose();
    this.#trainer = undefined;
  }

  attributeChangedCallback(name: string, previous: string | null, value: string | null): void {
    if (!this.#trainer || value === previous) return;
    if (name === 'src') {
      if (value) void this.#trainer.open({ kind: 'url', url: value });
      return;
    }
    const option = optionAttributes.find((o) => o.attribute === name);
    // A removed attribute leaves the form as it is: the dataset decides several defaults (columns, genes).
    if (option && value !== null) {
      const trainer = this.#trainer;
      // In order, and before a train() called after the change.
      this.#configuring = this.#configuring.then(() => trainer.ready()).then((panel) => panel && this.#configure(panel, { [option.key]: value }));
    }
  }

  /** Opens a zarr store (sets `src`). Resolves once it is open; rejects with code 'open-failed'. */
  async open(src: string): Promise<void> {
    const trainer = this.#connected();
    this.#openError = undefined;
    if (this.src === src) await trainer.open({ kind: 'url', url: src });
    else this.src = src;
    if (!(await trainer.ready())) throw new TrainerError('open-failed', this.#openError ?? `could not open ${src}`);
  }

  /**
   * Trains with the current configuration (after the dataset opens). Resolves with the model when the
   * run ends with one: completed, stopped early, or cancelled (`result.stopReason` says which); rejects
   * with a TrainerError otherwise. The events tell the same (`done`, `cancelled`, `error`).
   */
  async train(): Promise<TrainedModel> {
    const trainer = this.#connected();
    await this.#configuring;
    const panel = await trainer.ready();
    if (!panel) throw this.#fail('no-dataset', 'no dataset is open: set src (or call open(src)) first');
    if (this.#running) throw this.#fail('busy', 'a run is in progress: wait for it, or cancel() it first');
    if (this.#problemList.length) throw this.#fail('invalid-configuration', `the configuration has problems: ${this.#problemList.join('; ')}`, this.#problemList);
    this.#running = true;
    const model = await panel.start().catch((error: unknown) => {
      throw error instanceof TrainerError ? error : new TrainerError(this.#endedByCancel ? 'cancelled' : 'training-failed', (error as Error).message ?? String(error));
    });
    if (model.result.stopReason === 'non-finite') throw new TrainerError('non-finite', model.result.message ?? 'a loss became NaN/Inf');
    return model;
  }

  /** Cancels the run in flight: it ends with the model so far (`cancelled`), or, while preparing, with none. */
  cancel(): void {
    if (!this.#trainer) return;
    this.#cancelling = true;
    void this.#trainer.ready().then((panel) => panel?.cancel());
  }

  /** The last run's files (ONNX graphs with the weights, model.json, results), as bytes by file name. */
  async exportModel(): Promise<ModelFiles> {
    if (!this.#last) throw new TrainerError('no-model', 'no model has been trained yet: call train() first');
    return new Map([...this.#last.result.files].map(([name, data]) => [name, typeof data === 'string' ? utf8.encode(data) : data]));
  }

  #connected(): Trainer {
    if (!this.#trainer) throw new TrainerError('no-dataset', '<trvae-trainer> is not in the document: append it first');
    return this.#trainer;
  }

  #attributeTexts(): OptionTexts {
    const texts: Record<string, string> = {};
    for (const { key, attribute } of optionAttributes) {
      const value = this.getAttribute(attribute);
      if (value !== null) texts[key] = value;
    }
    return texts;
  }

  /** Values checked as the CLI checks its flags, then set in the form, which checks them against the dataset. */
  #configure(panel: TrainPanel, texts: OptionTexts): void {
    if (Object.keys(texts).length === 0) return;
    // The form re-offers the held-out pair whenever it is set: keep the current one unless the change is about it.
    if (!['conditionKey', 'cellTypeKey', 'holdout'].some((key) => key in texts)) texts = { ...texts, holdout: panel.values().holdout };
    const problems: string[] = [];
    const usable: Record<string, string> = {};
    for (const [key, text] of Object.entries(texts) as [OptionKey, string][]) {
      const { attribute } = optionAttributes.find((o) => o.key === key)!;
      const spec = trainingOptionSpecs.find((s) => s.key === key)!;
      try {
        // '' is the default (holdout '': no held-out pair), as in a link.
        if (text !== '' && key !== 'conditionKey' && key !== 'cellTypeKey') parseOptionValue(spec, text);
        usable[key] = text;
      } catch (error) {
        problems.push(`${attribute}="${text}": ${(error as Error).message}`);
      }
    }
    problems.push(...panel.apply(usable));
    this.#problemList = problems;
    if (problems.length) this.#fail('invalid-configuration', `some attributes were not used: ${problems.join('; ')}`, problems);
  }

  #onRunEvent(event: TrainWorkerEvent): void {
    this.#running = true;
    if (event.kind === 'plan') this.#epochs = event.epochs;
    if (event.kind === 'epoch') this.#emit('epoch', { record: event.record, epochs: this.#epochs });
    const progress = this.#track(event);
    if (progress) this.#emit('progress', progress);
  }

  #onRunEnd(end: { readonly model: TrainedModel } | { readonly error: unknown }): void {
    const cancelling = this.#cancelling;
    this.#endedByCancel = cancelling;
    this.#cancelling = false;
    this.#track = progressTracker();
    this.#epochs = 0;
    this.#running = false;
    if ('error' in end) {
      if (cancelling) this.#emit('cancelled', { epochs: 0 });
      else this.#fail('training-failed', `training failed: ${(end.error as Error).message ?? String(end.error)}`);
      return;
    }
    const { model } = end;
    const { result } = model;
    this.#last = model;
    if (result.stopReason === 'cancelled') this.#emit('cancelled', { model, epochs: result.epoch });
    else if (result.stopReason === 'non-finite') this.#fail('non-finite', `training stopped: ${result.message ?? 'a loss became NaN/Inf'}`);
    else this.#emit('done', { model, stopReason: result.stopReason, epochs: result.epoch, bestEpoch: result.bestEpoch, hasResults: result.results !== undefined, files: [...result.files.keys()] });
  }

  #emit<K extends keyof TrvaeTrainerEventMap>(type: K, detail: TrvaeTrainerEventMap[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  /** Tells the host (an `error` event) and returns the error for a method to reject with. */
  #fail(code: TrainerErrorCode, message: string, problems: readonly string[] = []): TrainerError {
    const error = new TrainerError(code, message, problems);
    this.#emit('error', { code, message, problems, error });
    return error;
  }
}

for (const { attribute, property } of optionAttributes) {
  Object.defineProperty(TrvaeTrainerElement.prototype, property, {
    configurable: true,
    enumerable: true,
    get(this: HTMLElement) {
      return this.getAttribute(attribute);
    },
    set(this: HTMLElement, value: unknown) {
      if (value === null || value === undefined) this.removeAttribute(attribute);
      else this.setAttribute(attribute, String(value));
    },
  });
}

declare global {
  interface HTMLElementTagNameMap {
    'trvae-trainer': TrvaeTrainerElement;
  }
}

export function defineTrainerElement(tag = 'trvae-trainer'): void {
  // The page reads zarr too (dataset summary, results sample).
  installFastBlosc();
  if (!customElements.get(tag)) customElements.define(tag, TrvaeTrainerElement);
}
