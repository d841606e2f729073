import {
  BlueprintExists,
  BlueprintInvalid,
  BlueprintNotFound,
  BlueprintSyntaxError,
  BlueprintVersionConflict,
} from '../lib/blueprints/errors.js';
import { InvalidCursor } from '../lib/db/audit.js';
import { NoPreviousDeployment } from '../lib/deployments/rollback.js';
import { AuthenticationFailed, IdentityProviderUnavailable } from '../lib/auth/verify.js';
import {
  BadRequest,
  BlueprintConflict,
  BlueprintNotFoundError,
  BlueprintSyntaxInvalid,
  DependencyUnavailable,
  NothingToRollBackTo,
  Unauthenticated,
  ValidationFailed,
  type ApiError,
} from './errors.js';

/**
 * The catalog error for an error of the libraries the routes call, so routes let them through and the
 * single error handler answers them; undefined for anything else.
 */
export function catalogErrorFor(error: unknown): ApiError | undefined {
  if (error instanceof AuthenticationFailed) return new Unauthenticated(error.reason, error.message);
  if (error instanceof IdentityProviderUnavailable)
    return new DependencyUnavailable('identity provider', error);
  if (error instanceof InvalidCursor) return new BadRequest(error.message);
  if (error instanceof BlueprintInvalid) {
    return new ValidationFailed(
      error.problems.map((p) => ({ in: 'body', field: p.pointer, message: p.message, path: p.path })),
    );
  }
  if (error instanceof BlueprintSyntaxError) {
    return new BlueprintSyntaxInvalid(error.message, error.line, error.column);
  }
  if (error instanceof BlueprintNotFound) return new BlueprintNotFoundError(error.message);
  if (error instanceof BlueprintExists) return new BlueprintConflict(error.message);
  if (error instanceof BlueprintVersionConflict) {
    const conflict = new BlueprintConflict(error.message);
    conflict.details = { latest: error.latest };
    return conflict;
  }
  if (error instanceof NoPreviousDeployment) return new NothingToRollBackTo(error.message);
  return undefined;
}
