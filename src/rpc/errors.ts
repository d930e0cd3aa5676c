// Errors keep their identity across a comlink boundary: comlink's 'throw' handler is replaced by one
// that sends a TrvaeError's class name, message, stack, own fields (code, location, step, …) and
// cause, and rebuilds an instance of the same class on the other side. Classes are found by their
// `name` in a registry; one not registered on the receiving side arrives as a TrvaeError with the
// same name, code, message and fields (and passes on unchanged through a further boundary).
import * as Comlink from 'comlink';
import { CheckpointError } from '../model/train/checkpoint-file.ts';
import { ConfigError } from '../model/trvae/config.ts';
import { SaveCopyError } from '../convert/save-copy-error.ts';
import { KernelInputError, KernelLimitError } from '../cpu/errors.ts';
import { TrvaeError } from '../errors.ts';
import { OrtDeviceError } from '../gpu/ort-device.ts';
import { LoaderParameterError, PredicateError } from '../loader/errors.ts';
import { SourceError } from '../source/errors.ts';

/** An error class, whatever its constructor's parameters. */
export type ErrorClass = abstract new (...args: never[]) => TrvaeError;

/**
 * A thrown value as it crosses. The shape is comlink's own ({ isError, value }) plus the fields of
 * a project error and the cause, so a thread without this handler still gets a plain Error.
 */
type Wire =
  | { readonly isError: false; readonly value: unknown }
  | {
      readonly isError: true;
      readonly value: { readonly name: string; readonly message: string; readonly stack?: string };
      /** Own fields of a TrvaeError (name, code, location, …); absent for other errors. */
      readonly fields?: Readonly<Record<string, unknown>>;
      readonly cause?: Wire;
    };

const registry = new Map<string, ErrorClass>();

/**
 * Makes errors named like the keys arrive as instances of those classes, e.g.
 * `registerErrorClasses({ NonFiniteLossError })`. The key must equal the class's `name` field.
 * The classes of modules light enough for every thread are registered here already.
 */
export function registerErrorClasses(classes: Readonly<Record<string, ErrorClass>>): void {
  for (const [name, cls] of Object.entries(classes)) registry.set(name, cls);
}

registerErrorClasses({ SourceError, LoaderParameterError, PredicateError, KernelInputError, KernelLimitError, ConfigError, CheckpointError, OrtDeviceError, SaveCopyError });

/** What an error of an unregistered class is rebuilt as: name, code and fields come from the wire. */
class UnregisteredError extends TrvaeError {
  readonly code: string = 'unknown';
}

const builtinErrors: Readonly<Record<string, ErrorConstructor>> = { Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError };

/** A value that survives structured clone, or its text. */
function cloneable(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return typeof value === 'function' || typeof value === 'symbol' ? String(value) : value;
  try {
    structuredClone(value);
    return value;
  } catch {
    return String(value);
  }
}

// causes nest; a few levels say enough
const maxCauseDepth = 4;

function toWire(value: unknown, depth = 0): Wire {
  if (!(value instanceof Error)) return { isError: false, value: depth === 0 ? value : cloneable(value) };
  return {
    isError: true,
    value: { name: value.name, message: value.message, ...(value.stack !== undefined ? { stack: value.stack } : {}) },
    ...(value instanceof TrvaeError ? { fields: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cloneable(v)])) } : {}),
    ...(value.cause !== undefined && depth < maxCauseDepth ? { cause: toWire(value.cause, depth + 1) } : {}),
  };
}

function fromWire(wire: Wire): unknown {
  if (!wire.isError) return wire.value;
  const { name, message, stack } = wire.value;
  const cls = wire.fields ? (registry.get(name) ?? UnregisteredError) : (builtinErrors[name] ?? Error);
  // a real Error object with the class's prototype, made without running the class's constructor
  // (whose parameters differ from class to class); the own fields are then set as they were sent
  const error = Reflect.construct(Error, [message, ...(wire.cause ? [{ cause: fromWire(wire.cause) }] : [])], cls) as Error;
  Object.assign(error, wire.fields, { name });
  if (stack !== undefined) error.stack = stack;
  return error;
}

let installed = false;

/** Replaces comlink's 'throw' handler in this thread (once; later calls do nothing). Both sides of a boundary need it. */
export function installErrorTransfer(): void {
  if (installed) return;
  installed = true;
  const builtin = Comlink.transferHandlers.get('throw');
  if (!builtin) throw new Error("comlink has no 'throw' transfer handler to replace");
  const handler: Comlink.TransferHandler<{ value: unknown }, Wire> = {
    canHandle: builtin.canHandle as (value: unknown) => value is { value: unknown },
    serialize: ({ value }) => [toWire(value), []],
    deserialize: (wire) => {
      throw fromWire(wire);
    },
  };
  Comlink.transferHandlers.set('throw', handler as Comlink.TransferHandler<unknown, unknown>);
}
