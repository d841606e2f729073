import { ApiError } from './errors.js';

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
