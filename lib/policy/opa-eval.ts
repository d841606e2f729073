import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DharmaError } from '../errors.js';
import { sortViolations, type PlanPolicyInput, type PolicyResult, type Violation } from './types.js';

const exec = promisify(execFile);

interface OpaEvalOutput {
  result?: { expressions: { value: { deny: Violation[]; warn: Violation[] } }[] }[];
}

/**
 * The same guardrails evaluated by the `opa` binary straight from the Rego sources: the reference the
 * in-process evaluator is checked against, and the baseline of the policy benchmark.
 */
export async function evaluateWithOpa(
  input: PlanPolicyInput,
  opts: { opaBinary: string; policiesDir: string },
): Promise<PolicyResult> {
  const args = [
    'eval',
    '--format',
    'json',
    '--stdin-input',
    '--ignore',
    '*_test.rego',
    '-d',
    opts.policiesDir,
  ];
  let stdout: string;
  try {
    const child = exec(opts.opaBinary, [...args, 'data.dharma.terraform.violations'], {
      maxBuffer: 64 * 1024 * 1024,
    });
    child.child.stdin?.end(JSON.stringify(input));
    ({ stdout } = await child);
  } catch (error) {
    const failed = error as { stderr?: string; message: string };
    throw new DharmaError(`opa eval failed: ${failed.stderr || failed.message}`);
  }
  const value = (JSON.parse(stdout) as OpaEvalOutput).result?.[0]?.expressions[0]?.value;
  if (!value)
    throw new DharmaError(`opa eval returned no result for data.dharma.terraform.violations: ${stdout}`);
  return { denies: sortViolations(value.deny), warnings: sortViolations(value.warn) };
}
