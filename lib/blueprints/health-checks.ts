import { DharmaError } from '../errors.js';
import type { HealthCheck } from './schema.js';

export class MissingOutput extends DharmaError {
  constructor(
    readonly check: string,
    readonly output: string,
  ) {
    super(`health check ${check} needs output ${JSON.stringify(output)}, which the apply did not produce`);
  }
}

/**
 * A health check with its `${output.<name>}` placeholders replaced by the applied outputs (the values
 * of `tofu output -json`, unwrapped), ready for the verify step to run.
 */
export function resolveHealthCheck(check: HealthCheck, outputs: Record<string, unknown>): HealthCheck {
  const resolve = (text: string) =>
    text.replace(/\$\{output\.([A-Za-z_][\w-]*)\}/g, (_match, name: string) => {
      if (!(name in outputs)) throw new MissingOutput(check.name, name);
      const value = outputs[name];
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
  return Object.fromEntries(
    Object.entries(check).map(([key, value]) => [key, typeof value === 'string' ? resolve(value) : value]),
  ) as HealthCheck;
}
