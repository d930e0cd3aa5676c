// The one base of every error this project throws: a `name` that says which kind, a `code` a caller
// can branch on, and a `message` that names the file, array or option and what to change. Errors
// cross worker boundaries with their class, code and fields (see src/rpc/errors.ts).

export abstract class TrvaeError extends Error {
  /** A short kebab-case reason, stable across releases (e.g. 'not-found', 'invalid-config'). */
  abstract readonly code: string;
}

/** True for any project error, or (with `code`) for one with that code. */
export function isTrvaeError(error: unknown, code?: string): error is TrvaeError {
  return error instanceof TrvaeError && (code === undefined || error.code === code);
}
