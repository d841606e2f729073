import { DharmaError } from '../lib/errors.js';

/** Exit codes of every `dharma` command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Bad command-line input (unknown role, malformed JSON, ...): exit code 2, like parser errors. */
export class UsageError extends DharmaError {}

/** A command that ran but whose outcome is negative (a pool not ok, a run that failed): exit code 1. */
export class CommandFailed extends DharmaError {}

/** An error answer of the Dharma API, shaped `{ error: { code, message, details } }`. */
export class ApiError extends DharmaError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export class ApiUnreachable extends DharmaError {
  constructor(
    readonly url: string,
    cause?: unknown,
  ) {
    super(`Dharma API is not reachable at ${url} (set API_URL or run \`dharma up\`)`, { cause });
  }
}
