import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type fields, invalidInput, refused } from '../remediation/input.js';

/** A transient AWS failure (throttling, 5xx, network, resource busy): the activity retry policy retries it. */
export const AWS_UNAVAILABLE = 'AwsUnavailable';

type Fields = ReturnType<typeof fields>;

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

export function readRegion(activity: string, f: Fields, fallback: string): string {
  const region = f.string('region', fallback);
  if (!REGION.test(region)) invalidInput(activity, 'region', 'an AWS region such as us-east-1', region);
  return region;
}

/** A required identifier param checked against AWS's format, so a typo fails here and not as a 400. */
export function readIdentifier(
  activity: string,
  f: Fields,
  field: string,
  format: RegExp,
  expected: string,
): string {
  const value = f.string(field);
  if (!format.test(value)) invalidInput(activity, field, expected, value);
  return value;
}

/** The resource a call acts on and the param that named it, so a failure tells the playbook author what to fix. */
export interface AwsTarget {
  activity: string;
  region: string;
  field: string;
  value: string;
  /** What the param must name, e.g. "an existing EC2 instance". */
  kind: string;
}

// A resource busy with another operation or throttling: waiting and retrying is the fix.
const TRANSIENT = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'TooManyRequestsException',
  'IncorrectInstanceState',
  'IncorrectState',
  'InvalidDBInstanceState',
  'InvalidDBInstanceStateFault',
  'ScalingActivityInProgress',
  'ScalingActivityInProgressFault',
  'ResourceContention',
  'ResourceContentionFault',
]);
const DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'AuthFailure',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'OptInRequired',
]);
const NOT_FOUND = /NotFound(Fault|Exception)?$|\.Malformed$/;

interface SdkError {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/**
 * Sends one AWS request on behalf of an activity and turns its failure into the retry decision: a missing
 * resource or a denial fails at once naming the param, throttling / 5xx / network errors are retried (after
 * the SDK's own retries), and any other rejection fails at once with AWS's reason.
 */
export async function callAws<T>(
  target: AwsTarget,
  operation: string,
  send: (abortSignal: AbortSignal) => Promise<T>,
): Promise<T> {
  const signal = Context.current().cancellationSignal;
  try {
    return await send(signal);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    return rethrow(target, operation, error);
  }
}

function rethrow(target: AwsTarget, operation: string, error: unknown): never {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkError;
  const code = e.name ?? 'Error';
  const reason = `${code}: ${e.message ?? String(error)}`;
  const { activity, region, field, value } = target;
  if (code === 'CredentialsProviderError') {
    refused(activity, `no AWS credentials on this worker (SDK default provider chain): ${reason}`);
  }
  if (NOT_FOUND.test(code)) invalidInput(activity, field, `${target.kind} in ${region} (${reason})`, value);
  if (DENIED.has(code)) {
    refused(activity, `AWS denied ${operation} on ${field} ${JSON.stringify(value)} in ${region}: ${reason}`);
  }
  const status = e.$metadata?.httpStatusCode;
  const transient =
    TRANSIENT.has(code) || e.$fault === 'server' || status === undefined || status === 429 || status >= 500;
  if (transient) {
    throw ApplicationFailure.retryable(
      `${activity}: ${operation} ${JSON.stringify(value)} in ${region} failed, will retry: ${reason}`,
      AWS_UNAVAILABLE,
    );
  }
  refused(activity, `AWS rejected ${operation} on ${field} ${JSON.stringify(value)} in ${region}: ${reason}`);
}
