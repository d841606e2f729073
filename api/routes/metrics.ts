import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ApiContext } from '../context.js';
import { errorResponses } from '../schemas.js';

/** Prometheus scrape endpoint: process defaults, request latency by route/status, auth failures. */
const metricsRoutes: FastifyPluginCallbackTypebox<{ ctx: ApiContext }> = (app, { ctx }, done) => {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics',
        tags: ['health'],
        produces: ['text/plain'],
        response: {
          200: Type.String({ description: 'Prometheus text exposition format.' }),
          ...errorResponses(429),
        },
      },
    },
    async (_request, reply) => {
      const text = await ctx.metrics.registry.metrics();
      return reply.type(ctx.metrics.registry.contentType).send(text);
    },
  );
  done();
};

export default metricsRoutes;
