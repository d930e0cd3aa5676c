// The embedding's typed error (its own module: the page registers it without loading the UMAP code).
import { TrvaeError } from '../errors.ts';

export class EmbeddingError extends TrvaeError {
  override readonly name = 'EmbeddingError';
  constructor(
    readonly code: 'invalid-argument' | 'non-finite' | 'aborted' | 'worker',
    message: string,
  ) {
    super(message);
  }
}
