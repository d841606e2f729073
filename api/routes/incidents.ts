import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { registerIncidentMetrics } from '../../lib/incidents/metrics.js';
import {
  getIncident,
  INCIDENT_STATUSES,
  INCIDENTS_MAX_LIMIT,
  pageIncidents,
} from '../../lib/incidents/repository.js';
import type { ApiContext } from '../context.js';
import { IncidentNotFound } from '../errors.js';
import { authenticate, requirePermission } from '../guards.js';
import { AUTHENTICATED_ERRORS, BEARER, errorResponses } from '../schemas.js';

const DEFAULT_PAGE = 50;

const Status = Type.Enum([...INCIDENT_STATUSES]);
const Severity = Type.Union([Type.Literal('P1'), Type.Literal('P2'), Type.Literal('P3'), Type.Literal('P4')]);

const IncidentQuery = Type.Object(
  {
    status: Type.Optional(Status),
    severity: Type.Optional(Severity),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    since: Type.Optional(
      Type.String({ format: 'date-time', description: 'Only incidents first seen at or after this time.' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: INCIDENTS_MAX_LIMIT, default: DEFAULT_PAGE })),
    cursor: Type.Optional(Type.String({ maxLength: 400, description: 'nextCursor of the previous page.' })),
  },
  { additionalProperties: false },
);

const Incident = Type.Object({
  id: Type.String(),
  fingerprint: Type.String(),
  source: Type.String(),
  alertName: Type.String(),
  severity: Severity,
  target: Type.String(),
  status: Status,
  firstSeen: Type.String({ format: 'date-time' }),
  lastSeen: Type.String({ format: 'date-time' }),
  resolvedAt: Type.Optional(Type.String({ format: 'date-time' })),
  mttrSeconds: Type.Optional(
    Type.Number({ description: 'First alert to verified resolution, set once resolved.' }),
  ),
  notifications: Type.Integer({ description: 'Alert notifications received for this incident.' }),
  playbook: Type.Optional(Type.String({ description: 'The playbook chosen for it, <id>@v<version>.' })),
  failureReport: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), {
      description: 'Set when a remediation did not work: steps, probe results, rollback, reason.',
    }),
  ),
});

const IncidentPage = Type.Object({ items: Type.Array(Incident), nextCursor: Type.Optional(Type.String()) });

const IncidentWithTimeline = Type.Object({
  ...Incident.properties,
  timeline: Type.Array(
    Type.Object({
      at: Type.String({ format: 'date-time' }),
      kind: Type.String({
        description:
          'detected, alerts, triaged, playbook, pre-check, approval, step, verification, rollback, escalated, resolved, ...',
      }),
      detail: Type.Record(Type.String(), Type.Unknown()),
    }),
    { description: 'Every step, decision and notification, oldest first.' },
  ),
});

const incidentsRoutes: FastifyPluginCallbackTypebox<{ ctx: ApiContext }> = (app, { ctx }, done) => {
  registerIncidentMetrics(ctx.metrics.registry, ctx.db, app.log);

  app.get(
    '/v1/incidents',
    {
      schema: {
        summary: 'Incidents, newest first, with filters and cursor pagination',
        tags: ['incidents'],
        security: BEARER,
        querystring: IncidentQuery,
        response: { 200: IncidentPage, ...errorResponses(...AUTHENTICATED_ERRORS) },
      },
      onRequest: authenticate(ctx),
      preHandler: requirePermission('runs:read'),
    },
    async (request) => {
      const { since, limit, ...filter } = request.query;
      return pageIncidents(ctx.db, {
        ...filter,
        limit: limit ?? DEFAULT_PAGE,
        ...(since ? { since: new Date(since) } : {}),
      });
    },
  );

  app.get(
    '/v1/incidents/:id',
    {
      schema: {
        summary: 'One incident with its timeline',
        tags: ['incidents'],
        security: BEARER,
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) }),
        response: { 200: IncidentWithTimeline, ...errorResponses(...AUTHENTICATED_ERRORS, 404) },
      },
      onRequest: authenticate(ctx),
      preHandler: requirePermission('runs:read'),
    },
    async (request) => {
      const incident = await getIncident(ctx.db, request.params.id);
      if (!incident) throw new IncidentNotFound(request.params.id);
      return incident;
    },
  );
  done();
};

export default incidentsRoutes;
