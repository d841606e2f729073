import type { FastifyRequest } from 'fastify';
import { appendAudit } from '../lib/db/audit.js';
import type { Permission } from '../lib/auth/roles.js';
import { AuthenticationFailed, bearerToken, type Principal } from '../lib/auth/verify.js';
import { accessRequestFromHttp } from '../lib/trust/claims.js';
import { evaluateAccess } from '../lib/trust/zero-trust.js';
import type { ApiContext } from './context.js';
import { AccessDenied, MissingPermission, Unauthenticated } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

// Guards take the plain request type so one guard serves every route, whatever its schema.
type Guard = (request: FastifyRequest) => Promise<void>;

/** Verifies the bearer token; refusals are 401 with the reason, and counted. */
export function authenticate(ctx: ApiContext): Guard {
  return async (request) => {
    try {
      request.principal = await ctx.verify(bearerToken(request.headers.authorization));
    } catch (error) {
      if (!(error instanceof AuthenticationFailed)) throw error;
      ctx.metrics.authFailures.inc({ reason: error.reason });
      throw new Unauthenticated(error.reason, error.message);
    }
  };
}

/** The caller of an authenticated route; the authenticate guard always runs first. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error(`route ${request.routeOptions.url} has no authenticate guard`);
  return request.principal;
}

/** A synchronous check as a guard: Fastify hooks here are promise-based. */
export function syncGuard(check: (request: FastifyRequest) => void): Guard {
  return (request) => {
    try {
      check(request);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  };
}

/** 403 unless the caller's roles grant the permission (fixed, or chosen from the request). */
export function requirePermission(permission: Permission | ((request: FastifyRequest) => Permission)): Guard {
  return syncGuard((request) => {
    const principal = principalOf(request);
    const needed = typeof permission === 'function' ? permission(request) : permission;
    if (!principal.permissions.has(needed)) throw new MissingPermission(needed, principal.roles);
  });
}

/** What a privileged request touches, as the zero-trust check sees it. */
export interface AccessTarget {
  resource: string;
  action: string;
  environment?: string;
  workflowId?: string;
}

/**
 * The zero-trust check of privileged requests (approve, cancel, anything in production). `target` says
 * what the request touches, or undefined when it is not privileged. Every decision is audited;
 * CHALLENGE and DENY are 403 with the score and the reason.
 */
export function zeroTrust(
  ctx: ApiContext,
  target: (request: FastifyRequest) => Promise<AccessTarget | undefined> | AccessTarget | undefined,
): Guard {
  return async (request) => {
    const principal = principalOf(request);
    const what = await target(request);
    if (!what) return;
    const decision = evaluateAccess(
      accessRequestFromHttp({
        claims: principal.claims,
        sourceIp: request.ip,
        resource: what.resource,
        action: what.action,
        ...(what.environment !== undefined ? { environment: what.environment } : {}),
      }),
      ctx.trust,
    );
    ctx.metrics.accessDecisions.inc({ decision: decision.decision });
    const allowed = decision.decision === 'ALLOW';
    await appendAudit(ctx.db, {
      actor: principal.subject,
      action: allowed ? 'AccessGranted' : 'AccessDenied',
      target: what.resource,
      decision: decision.access ? `${decision.decision}:${decision.access}` : decision.decision,
      reason: decision.reasons.join('; '),
      sourceIp: request.ip,
      ...(what.workflowId !== undefined ? { workflowId: what.workflowId } : {}),
      details: {
        action: what.action,
        score: decision.score,
        scores: decision.scores,
        policies: decision.policies,
      },
    });
    if (!allowed) throw new AccessDenied(decision.decision, decision.score, decision.reasons.join('; '));
  };
}
