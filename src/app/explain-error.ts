// The one paragraph the page shows when a dataset does not open: what happened and what to do, in
// plain words (no markdown: the page shows text as it is).
import { isTrvaeError } from '../errors.ts';
import { isSourceError } from '../source/index.ts';

/** Text without markdown code marks: `x` becomes x. */
export function plainText(text: string): string {
  return text.replace(/`([^`]*)`/g, '$1').replace(/`/g, '');
}

/** A message for the page: typed project errors already name the place and what to change. */
export function explainOpenError(error: unknown): string {
  if (isSourceError(error, 'aborted') || (error instanceof DOMException && error.name === 'AbortError')) return 'Cancelled.';
  if (isTrvaeError(error)) return plainText(error.message);
  const message = error instanceof Error ? error.message : String(error);
  return plainText(`Could not open the dataset: ${message || (error as Error)?.name || 'unknown error'}.`.replace(/\.\.$/, '.'));
}
