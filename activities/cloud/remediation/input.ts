import { ApplicationFailure } from '@temporalio/common';
import { parseDuration } from '../../../lib/config.js';
import { INVALID_REMEDIATION_INPUT, REMEDIATION_REFUSED } from '../../../lib/playbooks/actions.js';

export { INVALID_REMEDIATION_INPUT, REMEDIATION_REFUSED };

export function invalidInput(activity: string, field: string, expected: string, got: unknown): never {
  throw ApplicationFailure.nonRetryable(
    `${activity}: ${field}: expected ${expected}, got ${describeValue(got)}`,
    INVALID_REMEDIATION_INPUT,
  );
}

export function refused(activity: string, message: string): never {
  throw ApplicationFailure.nonRetryable(`${activity}: ${message}`, REMEDIATION_REFUSED);
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value);
  return Array.isArray(value) ? 'an array' : `${typeof value} ${JSON.stringify(value)}`;
}

/** Field readers for one activity's input; each throws InvalidRemediationInput naming the field. */
export function fields(activity: string, input: unknown) {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    invalidInput(activity, 'input', 'an object', input);
  }
  const record = input as Record<string, unknown>;
  const optionalString = (field: string): string | undefined => {
    const value = record[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') invalidInput(activity, field, 'a non-empty string', value);
    return value;
  };
  const optionalInt = (field: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined => {
    const value = record[field];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
      invalidInput(activity, field, `an integer ${range}`, value);
    }
    return value;
  };
  return {
    optionalString,
    string(field: string, fallback?: string): string {
      const value = optionalString(field) ?? fallback;
      if (value === undefined) invalidInput(activity, field, 'a non-empty string', undefined);
      return value;
    },
    optionalInt,
    int(field: string, min: number, max?: number, fallback?: number): number {
      const value = optionalInt(field, min, max) ?? fallback;
      if (value === undefined) invalidInput(activity, field, `an integer of at least ${min}`, undefined);
      return value;
    },
    bool(field: string, fallback: boolean): boolean {
      const value = record[field];
      if (value === undefined) return fallback;
      if (typeof value !== 'boolean') invalidInput(activity, field, 'true or false', value);
      return value;
    },
    stringList(field: string): string[] {
      const value = record[field];
      if (value === undefined) return [];
      if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
        invalidInput(activity, field, 'an array of strings', value);
      }
      return value as string[];
    },
    durationMs(field: string, fallback: string): number {
      const raw = optionalString(field) ?? fallback;
      const ms = parseDuration(raw);
      if (ms === undefined) invalidInput(activity, field, 'a duration such as 500ms, 30s, 5m', raw);
      return ms;
    },
  };
}
