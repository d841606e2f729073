import type { ActivityDeps } from '../deps.js';
import { activityOrigin } from '../origin.js';
import {
  changeStatus,
  countNotifications,
  openIncident,
  type IncidentStatus,
  type NewIncident,
} from '../../lib/incidents/repository.js';

/** The remediation workflow continues-as-new, so each write carries its generation as the key's scope. */
interface Scoped {
  scope: string;
}

/** Incident writes of the remediation workflow (orchestration pool); each one is idempotent per step. */
export function createIncidentActivities(deps: Pick<ActivityDeps, 'db'>) {
  return {
    async openIncident(input: Scoped & { incident: NewIncident; detail: Record<string, unknown> }) {
      await openIncident(deps.db, input.incident, input.detail, activityOrigin(input.scope).key);
    },

    async countIncidentAlerts(
      input: Scoped & {
        incidentId: string;
        count: number;
        lastSeen: string;
        detail: Record<string, unknown>;
      },
    ) {
      const { scope, ...fields } = input;
      await countNotifications(deps.db, fields, activityOrigin(scope).key);
    },

    async changeIncidentStatus(
      input: Scoped & {
        incidentId: string;
        status: IncidentStatus;
        at: string;
        kind: string;
        detail: Record<string, unknown>;
      },
    ) {
      const { scope, ...fields } = input;
      await changeStatus(deps.db, fields, activityOrigin(scope).key);
    },
  };
}

export type IncidentActivities = ReturnType<typeof createIncidentActivities>;
