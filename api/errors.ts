import { DharmaError } from '../lib/errors.js';

/** The body of every error response: a stable code, a sentence for people, and optional details. */
export interface ErrorBody {
  error: string;
  message: string;
  details?: unknown;
}

/** Base of the API's error catalog: each error knows its code, HTTP status and extra headers. */
export abstract class ApiError extends DharmaError {
  abstract readonly code: string;
  abstract readonly status: number;
  readonly headers: Record<string, string> = {};
  details?: unknown;

  body(): ErrorBody {
    return {
      error: this.code,
      message: this.message,
      ...(this.details !== undefined ? { details: this.details } : {}),
    };
  }
}

export interface FieldProblem {
  /** Where: body, querystring, params or headers. */
  in: string;
  /** JSON pointer of the failing field, e.g. /input/pools/0. */
  field: string;
  message: string;
  /** The schema the field must match. */
  expected?: unknown;
}

export class ValidationFailed extends ApiError {
  readonly code = 'validation_failed';
  readonly status = 400;
  constructor(readonly problems: FieldProblem[]) {
    const first = problems[0];
    super(first ? `${first.in}${first.field || ''} ${first.message}` : 'request is invalid');
    this.details = problems;
  }
}

export class BadRequest extends ApiError {
  readonly code = 'bad_request';
  readonly status = 400;
}

export class Unauthenticated extends ApiError {
  readonly code = 'unauthenticated';
  readonly status = 401;
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.details = { reason };
    // The message may quote what the caller sent (a source name, a token's alg): a header carries printable
    // ASCII only, or the reply itself would fail.
    const description = message.replace(/"/g, "'").replace(/[^\x20-\x7e]/g, '?');
    this.headers['www-authenticate'] = `Bearer error="invalid_token", error_description="${description}"`;
  }
}

export class MissingPermission extends ApiError {
  readonly code = 'forbidden';
  readonly status = 403;
  constructor(permission: string, roles: readonly string[]) {
    super(`permission ${permission} is required; your roles (${roles.join(', ') || 'none'}) do not grant it`);
    this.details = { permission, roles };
  }
}

export class AccessDenied extends ApiError {
  readonly code = 'access_denied';
  readonly status = 403;
  constructor(decision: string, score: number, reason: string) {
    super(`zero-trust check ${decision} (score ${score}): ${reason}`);
    this.details = { decision, score, reason };
  }
}

export class ApprovalRefused extends ApiError {
  readonly code = 'approval_refused';
  constructor(
    readonly status: 403 | 409,
    message: string,
    refusal: string,
  ) {
    super(message);
    this.details = { refusal };
  }
}

export class WorkflowTypeNotFound extends ApiError {
  readonly code = 'unknown_workflow_type';
  readonly status = 404;
  constructor(type: string, known: readonly string[]) {
    super(`workflow type ${JSON.stringify(type)} is not registered; known types: ${known.join(', ')}`);
    this.details = { known };
  }
}

export class RunNotFound extends ApiError {
  readonly code = 'run_not_found';
  readonly status = 404;
  constructor(id: string) {
    super(`run ${JSON.stringify(id)} does not exist`);
  }
}

export class RouteNotFound extends ApiError {
  readonly code = 'not_found';
  readonly status = 404;
  constructor(method: string, url: string) {
    super(`no route ${method} ${url}`);
  }
}

export class RunAlreadyExists extends ApiError {
  readonly code = 'run_exists';
  readonly status = 409;
  constructor(workflowId: string) {
    super(`a run with workflowId ${JSON.stringify(workflowId)} is already running`);
  }
}

export class RunNotRunning extends ApiError {
  readonly code = 'run_closed';
  readonly status = 409;
  constructor(workflowId: string, status: string) {
    super(`run ${JSON.stringify(workflowId)} is ${status}, not running`);
  }
}

export class IdempotencyKeyReused extends ApiError {
  readonly code = 'idempotency_key_reused';
  readonly status = 409;
  constructor(key: string) {
    super(`Idempotency-Key ${JSON.stringify(key)} was already used with a different request`);
  }
}

export class IdempotentRequestInProgress extends ApiError {
  readonly code = 'idempotent_request_in_progress';
  readonly status = 409;
  constructor(key: string) {
    super(`a request with Idempotency-Key ${JSON.stringify(key)} is still in progress; retry shortly`);
    this.headers['retry-after'] = '1';
  }
}

export class RateLimited extends ApiError {
  readonly code = 'rate_limited';
  readonly status = 429;
  constructor(max: number, after: string) {
    super(`rate limit of ${max} requests per minute exceeded; retry in ${after}`);
  }
}

export class DependencyUnavailable extends ApiError {
  readonly code = 'dependency_unavailable';
  readonly status = 503;
  constructor(
    readonly dependency: 'Temporal' | 'PostgreSQL' | 'identity provider',
    cause: unknown,
    retryAfterSeconds = 5,
  ) {
    super(`${dependency} is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.details = { dependency };
    this.headers['retry-after'] = String(retryAfterSeconds);
  }
}

export class InternalError extends ApiError {
  readonly code = 'internal_error';
  readonly status = 500;
  constructor(requestId: string) {
    super(`internal error; the server log has the details under request id ${requestId}`);
  }
}

export class BlueprintNotFoundError extends ApiError {
  readonly code = 'blueprint_not_found';
  readonly status = 404;
}

/** The id is taken, or a new version would not follow the latest one. */
export class BlueprintConflict extends ApiError {
  readonly code = 'blueprint_conflict';
  readonly status = 409;
}

export class BlueprintSyntaxInvalid extends ApiError {
  readonly code = 'blueprint_syntax_error';
  readonly status = 400;
  constructor(message: string, line: number, column: number) {
    super(message);
    this.details = { line, column };
  }
}

export class DeploymentNotFound extends ApiError {
  readonly code = 'deployment_not_found';
  readonly status = 404;
  constructor(id: string) {
    super(`deployment ${JSON.stringify(id)} does not exist`);
  }
}

/** A rollback needs an earlier completed deployment of the same stack and environment. */
export class NothingToRollBackTo extends ApiError {
  readonly code = 'no_previous_deployment';
  readonly status = 409;
}

/** The deployment has no plan yet (still queued or validating, or it failed before planning). */
export class PlanNotAvailable extends ApiError {
  readonly code = 'plan_not_available';
  readonly status = 409;
}

export class IncidentNotFound extends ApiError {
  readonly code = 'incident_not_found';
  readonly status = 404;
  constructor(id: string) {
    super(`incident ${JSON.stringify(id)} does not exist`);
  }
}
