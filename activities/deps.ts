import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { Env } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { WarmProviders } from './terraform/warm-providers.js';

/** What every activity factory receives: its clients, never globals (so tests pass real ones). */
export interface ActivityDeps {
  db: pg.Pool;
  temporal: Client;
  logger: Logger;
  env: Env;
  /** Provider plugin servers for tofu runs (terraform pool); without it tofu starts its own. */
  providers?: WarmProviders;
}
