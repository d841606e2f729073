import { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { msToTs } from '@temporalio/common/lib/time.js';
import { SEARCH_ATTRIBUTES } from '../search-attributes.js';

const RETENTION_SECONDS = 30 * 24 * 3600;
const RETENTION = msToTs(RETENTION_SECONDS * 1000);
const KEYWORD = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;

function isNotFound(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && 'code' in error && (error as { code: number }).code === 5
  );
}

/**
 * Makes the namespace fit for Dharma: exists, keeps history at least 30 days, and knows every custom
 * search attribute. Idempotent, so it runs at every start: flags given to the dev server do not reach a
 * database that already exists.
 */
export async function ensureNamespace(connection: Connection, namespace: string): Promise<void> {
  const service = connection.workflowService;
  try {
    const described = await service.describeNamespace({ namespace });
    const seconds = Number(described.config?.workflowExecutionRetentionTtl?.seconds ?? 0);
    if (seconds < RETENTION_SECONDS) {
      await service.updateNamespace({
        namespace,
        config: { workflowExecutionRetentionTtl: RETENTION },
      });
    }
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await service.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: RETENTION,
    });
  }
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = existing.customAttributes ?? {};
  const missing = Object.keys(SEARCH_ATTRIBUTES).filter((name) => !(name in known));
  if (missing.length > 0) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])),
    });
  }
}
