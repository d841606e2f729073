import type { Queryable } from './pool.js';

/** The event envelope of domain section 9. */
export interface EventEnvelope {
  eventId: string;
  eventType: string;
  timestamp: string;
  aggregateId: string;
  aggregateType: string;
  version: number;
  data: Record<string, unknown>;
  metadata: { correlationId?: string; causationId?: string };
}

/** Writes the event once: the same eventId again (a retried activity) is dropped. */
export async function insertEvent(db: Queryable, event: EventEnvelope): Promise<void> {
  await db.query(
    `INSERT INTO events_outbox (event_id, event_type, "timestamp", aggregate_id, aggregate_type, version, data, metadata)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (event_id) DO NOTHING`,
    [
      event.eventId,
      event.eventType,
      event.timestamp,
      event.aggregateId,
      event.aggregateType,
      event.version,
      JSON.stringify(event.data),
      JSON.stringify(event.metadata),
    ],
  );
}

interface EventRow {
  event_id: string;
  event_type: string;
  timestamp: Date;
  aggregate_id: string;
  aggregate_type: string;
  version: number;
  data: Record<string, unknown>;
  metadata: EventEnvelope['metadata'];
}

/** Events of one aggregate in the order they were written. */
export async function eventsOf(
  db: Queryable,
  aggregateType: string,
  aggregateId: string,
): Promise<EventEnvelope[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT * FROM events_outbox WHERE aggregate_type = $1 AND aggregate_id = $2 ORDER BY "timestamp", event_id`,
    [aggregateType, aggregateId],
  );
  return rows.map((row) => ({
    eventId: row.event_id,
    eventType: row.event_type,
    timestamp: row.timestamp.toISOString(),
    aggregateId: row.aggregate_id,
    aggregateType: row.aggregate_type,
    version: row.version,
    data: row.data,
    metadata: row.metadata,
  }));
}
