import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { TokenVerifier } from '../lib/auth/verify.js';
import type { TrustOptions } from '../lib/trust/options.js';
import type { ApiMetrics } from './metrics.js';
import type { WorkflowTypeRegistry } from './workflow-types.js';

/** What every route plugin receives: the clients and settings of this app instance, never globals. */
export interface ApiContext {
  temporal: Client;
  db: pg.Pool;
  verify: TokenVerifier;
  metrics: ApiMetrics;
  workflowTypes: WorkflowTypeRegistry;
  trust: TrustOptions;
  /** Task queue prefix: runs start on `<prefix>-orchestration`. */
  taskQueuePrefix: string;
  /** Temporal UI base URL for links, e.g. http://127.0.0.1:8233. */
  uiBaseUrl: string;
  /** How long one Temporal call may take before the API answers 503. */
  temporalTimeoutMs: number;
  idempotencyTtlHours: number;
}
