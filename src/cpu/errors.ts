// Typed errors of the batch kernels (GPU and CPU path alike): each names what is wrong and how to fix it.

import { TrvaeError } from '../errors.ts';

/** An input of a kernel is malformed or out of range; `input` is the argument's name as the API spells it. */
export class KernelInputError extends TrvaeError {
  override readonly name = 'KernelInputError';
  readonly code = 'invalid-input';
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(`${input}: ${message}`);
  }
}

/** An input is valid but exceeds what the device can bind or dispatch; the message says how to split it. */
export class KernelLimitError extends TrvaeError {
  override readonly name = 'KernelLimitError';
  readonly code = 'device-limit';
}
