import { ApplicationFailure } from '@temporalio/workflow';
import { PROVISION_FAILURES, type ProvisionInput } from './contract.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const DURATION = /^\d+(\.\d+)?(ms|s|m|h|d)$/;

function invalid(field: string, expected: string): never {
  throw ApplicationFailure.create({
    type: PROVISION_FAILURES.invalid,
    message: `${field}: expected ${expected}`,
    nonRetryable: true,
  });
}

/** Checks a start request sent as plain JSON (the Temporal UI and CLI send whatever was typed). */
export function validateProvisionInput(input: ProvisionInput): void {
  if (typeof input !== 'object' || input === null) invalid('input', 'an object');
  for (const field of ['blueprintId', 'environment'] as const) {
    if (typeof input[field] !== 'string' || !NAME.test(input[field]))
      invalid(field, 'a name (letters, digits, . _ -)');
  }
  if (input.stack !== undefined && (typeof input.stack !== 'string' || !NAME.test(input.stack)))
    invalid('stack', 'a name (letters, digits, . _ -)');
  if (typeof input.requester !== 'string' || input.requester.trim() === '')
    invalid('requester', 'a non-empty string');
  if (
    input.version !== undefined &&
    (typeof input.version !== 'string' || !/^\d+\.\d+\.\d+/.test(input.version))
  )
    invalid('version', 'a semantic version such as 1.2.0');
  if (
    input.variables !== undefined &&
    (typeof input.variables !== 'object' || input.variables === null || Array.isArray(input.variables))
  )
    invalid('variables', 'an object');
  if (input.autoApply !== undefined && typeof input.autoApply !== 'boolean')
    invalid('autoApply', 'a boolean');
  const settings = input.settings;
  if (typeof settings !== 'object' || settings === null) invalid('settings', 'an object (filled by the API)');
  if (
    !Array.isArray(settings.approvalEnvironments) ||
    !settings.approvalEnvironments.every((e) => typeof e === 'string')
  )
    invalid('settings.approvalEnvironments', 'an array of environment names');
  for (const field of ['driftInterval', 'approvalTimeout', 'approvalEscalateBefore', 'lockLease'] as const) {
    const value = settings[field];
    if (
      (field === 'driftInterval' || value !== undefined) &&
      (typeof value !== 'string' || !DURATION.test(value))
    )
      invalid(`settings.${field}`, 'a duration such as 30m, 6h');
  }
}
