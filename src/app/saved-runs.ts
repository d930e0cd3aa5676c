// Runs that survive a reload: the training worker writes a checkpoint per epoch into OPFS under a
// name derived from the dataset; next to it the page keeps the run's options and epoch count, so
// reopening the same dataset can offer "Resume training (epoch k of N)" with the very same options.
import { deleteCheckpoint, loadCheckpoint } from '../model/train/checkpoint-file.ts';
import type { EpochRecord } from '../model/train/train.ts';
import type { TrainingOptions } from '../model/options.ts';
import type { DatasetOrigin } from './open-dataset.ts';
import { originInput } from './open-dataset.ts';

export interface SavedRun {
  readonly options: TrainingOptions;
  /** Epochs planned (auto resolved). */
  readonly epochs: number;
  /** Epochs done, from the checkpoint itself. */
  readonly epoch: number;
  readonly history: readonly EpochRecord[];
}

/** FNV-1a, 2 × 32 bits: a file-name-safe name for a dataset identity. */
function hash(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    a = Math.imul(a ^ text.charCodeAt(i), 0x01000193) >>> 0;
    b = Math.imul(b ^ text.charCodeAt(i), 0x5bd1e995) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/** The same dataset gives the same name: a URL (the demo's included), a file by name, size and date, a local copy by name. */
export function runName(origin: DatasetOrigin): string {
  const input = originInput(origin);
  const identity = input instanceof File ? `file ${input.name} ${input.size} ${input.lastModified}` : 'url' in input ? `url ${input.url}` : `opfs ${input.opfs}`;
  return `run-${hash(identity)}`;
}

async function folder(): Promise<FileSystemDirectoryHandle> {
  return (await navigator.storage.getDirectory()).getDirectoryHandle('trvae-checkpoints', { create: true });
}

export async function saveRunPlan(name: string, plan: { options: TrainingOptions; epochs: number }): Promise<void> {
  const writable = await (await (await folder()).getFileHandle(`${name}.run.json`, { create: true })).createWritable();
  await writable.write(JSON.stringify(plan));
  await writable.close();
}

/** The interrupted run stored under `name`, or undefined (none, finished, or unreadable: then it is removed). */
export async function loadSavedRun(name: string): Promise<SavedRun | undefined> {
  let plan: { options: TrainingOptions; epochs: number };
  try {
    plan = JSON.parse(await (await (await (await folder()).getFileHandle(`${name}.run.json`)).getFile()).text());
  } catch {
    return undefined;
  }
  const checkpoint = await loadCheckpoint(name).catch(() => undefined);
  if (!checkpoint || checkpoint.epoch >= plan.epochs) {
    await forgetRun(name);
    return undefined;
  }
  return { options: plan.options, epochs: plan.epochs, epoch: checkpoint.epoch, history: checkpoint.history };
}

export async function forgetRun(name: string): Promise<void> {
  await deleteCheckpoint(name);
  await (await folder()).removeEntry(`${name}.run.json`).catch(() => {});
}
