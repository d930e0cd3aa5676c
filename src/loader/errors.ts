// Typed errors of the loader: each names what is wrong and how to fix it.

import { TrvaeError } from '../errors.ts';

/** A loader or sampler parameter is invalid; `parameter` is the option's name as the API spells it. */
export class LoaderParameterError extends TrvaeError {
  override readonly name = 'LoaderParameterError';
  readonly code = 'invalid-parameter';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
  }
}

/** A row predicate could not be parsed or does not match the obs columns. */
export class PredicateError extends TrvaeError {
  override readonly name = 'PredicateError';
  readonly code = 'invalid-predicate';
}
