import type { ProvisionInput } from './contract.js';
import type { RecordStep } from './deployment-record.js';

/** What the saga's step helpers share: the run, and how it records its steps (deployment-record.ts). */
export interface StepContext {
  /** From FEWER_ROUND_TRIPS on (workflow.ts) independent steps run together, in fewer activities. */
  together: boolean;
  input: ProvisionInput;
  deploymentId: string;
  stack: string;
  record: RecordStep;
  note: RecordStep;
}
