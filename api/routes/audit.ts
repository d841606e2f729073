import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AUDIT_MAX_LIMIT, listAudit } from '../../lib/db/audit.js';
import type { ApiContext } from '../context.js';
import { authenticate, requirePermission } from '../guards.js';
import { AUTHENTICATED_ERRORS, BEARER, errorResponses } from '../schemas.js';

const DEFAULT_PAGE = 50;

const AuditQuery = Type.Object(
  {
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    workflowId: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    since: Type.Optional(
      Type.String({ format: 'date-time', description: 'Only entries at or after this time.' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: AUDIT_MAX_LIMIT, default: DEFAULT_PAGE })),
    cursor: Type.Optional(Type.String({ maxLength: 32, description: 'nextCursor of the previous page.' })),
  },
  { additionalProperties: false },
);

const AuditRecord = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.String(),
  action: Type.String(),
  target: Type.String(),
  decision: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  sourceIp: Type.Optional(Type.String()),
  workflowId: Type.Optional(Type.String()),
  runId: Type.Optional(Type.String()),
  details: Type.Record(Type.String(), Type.Unknown()),
});

const AuditPage = Type.Object({ items: Type.Array(AuditRecord), nextCursor: Type.Optional(Type.String()) });

const auditRoutes: FastifyPluginCallbackTypebox<{ ctx: ApiContext }> = (app, { ctx }, done) => {
  app.get(
    '/v1/audit',
    {
      schema: {
        summary: 'The audit log, newest first, with filters and cursor pagination',
        tags: ['audit'],
        security: BEARER,
        querystring: AuditQuery,
        response: { 200: AuditPage, ...errorResponses(...AUTHENTICATED_ERRORS) },
      },
      onRequest: authenticate(ctx),
      preHandler: requirePermission('audit:read'),
    },
    async (request) => {
      const { since, limit, ...filter } = request.query;
      return listAudit(ctx.db, {
        ...filter,
        limit: limit ?? DEFAULT_PAGE,
        ...(since ? { since: new Date(since) } : {}),
      });
    },
  );
  done();
};

export default auditRoutes;
