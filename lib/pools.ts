/** Worker pools: one Temporal task queue per kind of work (bulkheads, domain section 8). */
export const POOLS = ['orchestration', 'terraform', 'cloud', 'trust', 'ml'] as const;
export type PoolName = (typeof POOLS)[number];

/** Activity pools: every pool but orchestration, which runs workflow tasks only. */
export const ACTIVITY_POOLS = ['terraform', 'cloud', 'trust', 'ml'] as const satisfies readonly PoolName[];
export type ActivityPoolName = (typeof ACTIVITY_POOLS)[number];

export const DEFAULT_QUEUE_PREFIX = 'dharma';

/** Task queues are `<prefix>-<pool>`; a prefix lets several Dharma installations or tests share a namespace. */
export function taskQueueFor(pool: PoolName, prefix: string = DEFAULT_QUEUE_PREFIX): string {
  return `${prefix}-${pool}`;
}

/** The queue of `pool` next to `queue`: workflows derive their activity queues from their own queue. */
export function siblingQueue(queue: string, pool: PoolName): string {
  const cut = queue.lastIndexOf('-');
  return taskQueueFor(pool, cut > 0 ? queue.slice(0, cut) : DEFAULT_QUEUE_PREFIX);
}

export function isPoolName(value: string): value is PoolName {
  return (POOLS as readonly string[]).includes(value);
}
