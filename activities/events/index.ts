import type { ActivityDeps } from '../deps.js';
import { insertEvent } from '../../lib/db/outbox.js';
import { activityOrigin, uuidV5 } from '../origin.js';

export interface PublishEventInput {
  /** One of the event types of domain section 9, e.g. DeploymentStarted. */
  eventType: string;
  aggregateId: string;
  aggregateType: string;
  data: Record<string, unknown>;
  /** Defaults to the workflow id, so every event of one run correlates. */
  correlationId?: string;
  causationId?: string;
  /** Schema version of the event's data; 1 unless the shape changed. */
  version?: number;
  /** Only for workflows that continue-as-new: see ActivityOrigin.key. */
  scope?: string;
}

/** Domain events go to the outbox (events_outbox); a relay delivers them at least once. */
export function createEventsActivities(deps: ActivityDeps) {
  return {
    /** Writes the event; its id is derived from the activity's key, so a retry never makes a second event. */
    async publishEvent(event: PublishEventInput): Promise<{ eventId: string }> {
      const origin = activityOrigin(event.scope);
      const eventId = uuidV5(origin.key);
      const correlationId = event.correlationId ?? origin.workflowId;
      await insertEvent(deps.db, {
        eventId,
        eventType: event.eventType,
        timestamp: origin.scheduledAt.toISOString(),
        aggregateId: event.aggregateId,
        aggregateType: event.aggregateType,
        version: event.version ?? 1,
        data: event.data,
        metadata: {
          ...(correlationId !== undefined ? { correlationId } : {}),
          ...(event.causationId !== undefined ? { causationId: event.causationId } : {}),
        },
      });
      return { eventId };
    },
  };
}
