import { setting } from '../../../lib/config.js';
import type { ActivityDeps } from '../../deps.js';

/**
 * The PostgreSQL server local remediations act on when a step names none: the worker's own (its pool's
 * URL, else DATABASE_URL). Probes verify on the same server, so a remediation and its verification never
 * look at two different servers. Empty when the worker has neither.
 */
export function remediationPostgresUrl(deps: Pick<ActivityDeps, 'db' | 'env'>): string {
  return deps.db.options.connectionString || setting('DATABASE_URL', deps.env);
}
