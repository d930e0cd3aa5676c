// Shared steps of the e2e tests: how a person drops a file and fills the training form.
import { join } from 'node:path';
import type { JSHandle, Locator, Page } from '@playwright/test';

/** A DataTransfer holding `url` (fetched by the page) as a File named `name`, as a drag from the desktop would. */
export function fileDrop(page: Page, url: string, name: string): Promise<JSHandle<DataTransfer>> {
  return page.evaluateHandle(
    async ([from, fileName]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([await (await fetch(from)).blob()], fileName));
      return dt;
    },
    [url, name] as const,
  );
}

export interface TrainFormValues {
  readonly holdout?: { readonly cellType: string; readonly condition: string };
  readonly genes: number;
  readonly epochs: number;
  readonly hidden: string;
  readonly latent: number;
  readonly batchSize?: number;
  readonly memoryMb?: number;
  readonly recon?: 'sse' | 'mse' | 'nb';
}

export async function fillTrainForm(page: Page, values: TrainFormValues): Promise<Locator> {
  const form = page.getByTestId('train-form');
  if (values.holdout) {
    await form.getByLabel('Held-out cell type').selectOption(values.holdout.cellType);
    await form.getByLabel('Held-out condition').selectOption(values.holdout.condition);
  }
  const field = (label: string) => form.getByLabel(label, { exact: true });
  await field('Genes').fill(String(values.genes));
  if (values.memoryMb !== undefined) await field('In-memory limit (MB)').fill(String(values.memoryMb));
  for (const summary of await form.locator('summary').all()) await summary.click();
  await field('Epochs').fill(String(values.epochs));
  await field('Hidden layers').fill(values.hidden);
  await field('Latent size').fill(String(values.latent));
  if (values.batchSize !== undefined) await field('Batch size').fill(String(values.batchSize));
  if (values.recon) await field('Reconstruction loss').selectOption(values.recon);
  return form;
}

/** Clicks a download link and saves the file into `dir`; returns its path. */
export async function save(page: Page, link: Locator, dir: string): Promise<string> {
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const path = join(dir, download.suggestedFilename());
  await download.saveAs(path);
  return path;
}

/** One slow frame: a Long Animation Frame (or long task) entry, with its longest scripts. */
export interface SlowFrame {
  readonly start: number;
  readonly ms: number;
  readonly blockingMs?: number;
  /** Of `ms`, the time from the start of rendering (rAF callbacks, style, layout, paint) and from style and layout to the frame's end. */
  readonly renderMs?: number;
  readonly styleLayoutMs?: number;
  readonly scripts?: readonly { readonly invoker: string; readonly source: string; readonly ms: number }[];
  /** What the page showed then: the training status line, and whether results were on the page. */
  readonly context?: string;
}

interface FrameLog {
  api: string;
  since: number;
  entries: SlowFrame[];
  rafFrames: number;
  longestRafGapMs: number;
}

/**
 * An init script (page.addInitScript(frameProbe)): records Long Animation Frames ('longtask' where
 * the browser lacks LoAF) and the longest gap between requestAnimationFrame callbacks, from the
 * last resetFrames on. Self-contained: Playwright sends its source to the page.
 */
export function frameProbe(): void {
  const log: FrameLog = { api: 'none', since: 0, entries: [], rafFrames: 0, longestRafGapMs: 0 };
  (window as unknown as { __frames: FrameLog }).__frames = log;
  const types = PerformanceObserver.supportedEntryTypes;
  const type = types.includes('long-animation-frame') ? 'long-animation-frame' : types.includes('longtask') ? 'longtask' : undefined;
  if (type) {
    log.api = type;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.startTime < log.since) continue;
        const loaf = e as PerformanceEntry & { blockingDuration?: number; renderStart?: number; styleAndLayoutStart?: number; scripts?: { invoker: string; sourceURL: string; sourceFunctionName: string; sourceCharPosition: number; duration: number }[] };
        const scripts = loaf.scripts
          ?.toSorted((a, b) => b.duration - a.duration)
          .slice(0, 3)
          .map((s) => ({ invoker: s.invoker, source: `${s.sourceURL.split('/').pop()}:${s.sourceCharPosition} ${s.sourceFunctionName}`, ms: Math.round(s.duration) }));
        const root = document.querySelector('trvae-trainer')?.shadowRoot ?? document;
        const context = `${root.querySelector('[data-testid=train-status]')?.textContent?.slice(0, 70) ?? ''}${root.querySelector('[data-testid=results-panel]') ? ' [results shown]' : ''}`;
        log.entries.push({ start: Math.round(e.startTime), ms: Math.round(e.duration), blockingMs: loaf.blockingDuration && Math.round(loaf.blockingDuration), scripts, context,
          ...(loaf.renderStart ? { renderMs: Math.round(e.startTime + e.duration - loaf.renderStart) } : {}),
          ...(loaf.styleAndLayoutStart ? { styleLayoutMs: Math.round(e.startTime + e.duration - loaf.styleAndLayoutStart) } : {}) });
      }
    }).observe({ type, buffered: true });
  }
  let last = 0;
  const tick = (t: number) => {
    if (last >= log.since && last > 0) log.longestRafGapMs = Math.max(log.longestRafGapMs, t - last);
    last = t;
    log.rafFrames++;
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

/** Starts frameProbe's measurement afresh (from now). */
export async function resetFrames(page: Page): Promise<void> {
  await page.evaluate(() => {
    const log = (window as unknown as { __frames: FrameLog }).__frames;
    Object.assign(log, { since: performance.now(), entries: [], rafFrames: 0, longestRafGapMs: 0 });
  });
}

/**
 * The longest task on the page's main thread within a frame: LoAF's blocking duration counts each
 * long task's time beyond 50 ms (a 'longtask' entry is the task itself).
 */
const longestTask = (api: string, e: SlowFrame): number => (api === 'longtask' ? e.ms : e.blockingMs ? e.blockingMs + 50 : 0);

/** What frameProbe saw since resetFrames: the longest frame and main-thread task, the longest rAF gap, the three slowest frames. */
export async function readFrames(page: Page): Promise<{ api: string; longestMs: number; longestTaskMs: number; longestRafGapMs: number; rafFrames: number; longest: SlowFrame[]; longestTasks: SlowFrame[] }> {
  const log = await page.evaluate(() => (window as unknown as { __frames: FrameLog }).__frames);
  const sorted = log.entries.toSorted((a, b) => b.ms - a.ms);
  const byTask = log.entries.toSorted((a, b) => longestTask(log.api, b) - longestTask(log.api, a));
  return {
    api: log.api, longestMs: sorted[0]?.ms ?? 0, longestTaskMs: byTask[0] ? longestTask(log.api, byTask[0]) : 0, longestRafGapMs: log.longestRafGapMs, rafFrames: log.rafFrames,
    longest: sorted.slice(0, 3), longestTasks: byTask.slice(0, 3),
  };
}

/** The element that has the keyboard focus, looked up through shadow roots. */
export interface Focused {
  readonly tag: string;
  readonly id: string;
  readonly testId: string;
  readonly text: string;
}

export function focused(page: Page): Promise<Focused | undefined> {
  return page.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    if (!el || el === document.body) return undefined;
    return { tag: el.tagName.toLowerCase(), id: el.id, testId: el.getAttribute('data-testid') ?? '', text: (el.textContent ?? '').trim().slice(0, 80) };
  });
}

/** Presses Tab (as a keyboard user would) until `wanted` has the focus; fails after `max` presses. */
export async function tabTo(page: Page, wanted: (f: Focused) => boolean, what: string, max = 150): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (f && wanted(f)) return;
  }
  throw new Error(`${what} was not reached with ${max} presses of Tab`);
}
