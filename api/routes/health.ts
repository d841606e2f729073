import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ApiContext } from '../context.js';
import { errorResponses } from '../schemas.js';

const READY_TIMEOUT_MS = 2000;

const Check = Type.Object({
  ok: Type.Boolean(),
  latencyMs: Type.Number(),
  error: Type.Optional(Type.String()),
});
const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable')]),
  message: Type.String(),
  checks: Type.Object({ temporal: Check, postgresql: Check }),
});

async function timed(
  probe: () => Promise<unknown>,
): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)),
          READY_TIMEOUT_MS,
        );
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** Liveness and readiness: unauthenticated, for orchestrators and load balancers. */
const healthRoutes: FastifyPluginCallbackTypebox<{ ctx: ApiContext }> = (app, { ctx }, done) => {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process is up',
        tags: ['health'],
        response: { 200: Type.Object({ status: Type.Literal('ok') }), ...errorResponses(429) },
      },
    },
    () => Promise.resolve({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: Temporal and PostgreSQL answer',
        tags: ['health'],
        response: { 200: Readiness, 503: Readiness, ...errorResponses(429) },
      },
    },
    async (_request, reply) => {
      const [temporal, postgresql] = await Promise.all([
        timed(() =>
          ctx.temporal.withDeadline(Date.now() + READY_TIMEOUT_MS, () =>
            ctx.temporal.workflowService.getSystemInfo({}),
          ),
        ),
        timed(() => ctx.db.query('SELECT 1')),
      ]);
      const failing = [
        ...(temporal.ok ? [] : [`Temporal unavailable: ${temporal.error}`]),
        ...(postgresql.ok ? [] : [`PostgreSQL unavailable: ${postgresql.error}`]),
      ];
      const body = {
        status: failing.length === 0 ? ('ready' as const) : ('unavailable' as const),
        message: failing.length === 0 ? 'Temporal and PostgreSQL are reachable' : failing.join('; '),
        checks: { temporal, postgresql },
      };
      if (failing.length > 0) return reply.code(503).header('retry-after', '5').send(body);
      return body;
    },
  );
  done();
};

export default healthRoutes;
