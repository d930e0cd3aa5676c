// Why a local copy cannot be saved before any reading starts: the name is taken or not usable, or
// another copy is being saved by the same worker.
import { TrvaeError } from '../errors.ts';

export type SaveCopyErrorCode = 'busy' | 'invalid-name' | 'name-taken';

export class SaveCopyError extends TrvaeError {
  override readonly name = 'SaveCopyError';

  constructor(
    readonly code: SaveCopyErrorCode,
    message: string,
  ) {
    super(message);
  }
}
