import type { FastifyError, FastifyRequest } from 'fastify';
import type { ApiApp } from './app.js';
import { catalogErrorFor } from './domain-errors.js';
import {
  ApiError,
  DependencyUnavailable,
  InternalError,
  RouteNotFound,
  ValidationFailed,
  type FieldProblem,
} from './errors.js';

interface SchemaError {
  keyword: string;
  instancePath: string;
  schemaPath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** The sub-schema a JSON pointer such as `#/properties/input/properties/pools` names. */
function schemaAt(schema: unknown, pointer: string): unknown {
  let node = schema;
  for (const raw of pointer.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Plain JSON of a schema: drops TypeBox's symbol keys and the noise of deeply nested shapes. */
function shape(schema: unknown): unknown {
  return schema === undefined ? undefined : (JSON.parse(JSON.stringify(schema)) as unknown);
}

/**
 * One problem per failing field, with the schema it must match. Of the several errors a validator
 * reports for one field (each anyOf branch, then the anyOf), the one closest to the root explains it.
 */
export function fieldProblems(
  errors: readonly SchemaError[],
  part: string,
  schema: unknown,
  prefix = '',
): FieldProblem[] {
  const byField = new Map<string, FieldProblem & { depth: number }>();
  for (const error of errors) {
    if (error.keyword === 'boolean') continue; // repeated by the parent's additionalProperties error
    const extra = error.keyword === 'additionalProperties' ? error.params.additionalProperties : undefined;
    const unknownProps = Array.isArray(extra) ? extra.map(String) : [];
    const fields =
      unknownProps.length > 0 ? unknownProps.map((p) => `${error.instancePath}/${p}`) : [error.instancePath];
    for (const field of fields) {
      const depth = error.schemaPath.split('/').length;
      const current = byField.get(field);
      if (current && current.depth <= depth) continue;
      byField.set(field, {
        in: part,
        field: `${prefix}${field}`,
        message: unknownProps.length > 0 ? 'is not an allowed property' : (error.message ?? error.keyword),
        ...(unknownProps.length > 0 ? {} : { expected: shape(schemaAt(schema, error.schemaPath)) }),
        depth,
      });
    }
  }
  return [...byField.values()].map(({ depth: _depth, ...problem }) => problem);
}

function routeSchemaPart(request: FastifyRequest, part: string): unknown {
  const schema = request.routeOptions.schema as Record<string, unknown> | undefined;
  return schema?.[part];
}

function toApiError(error: FastifyError, request: FastifyRequest): ApiError | undefined {
  if (error instanceof ApiError) return error;
  const cataloged = catalogErrorFor(error);
  if (cataloged) return cataloged;
  if (error.validation) {
    const part = error.validationContext ?? 'body';
    return new ValidationFailed(fieldProblems(error.validation, part, routeSchemaPart(request, part)));
  }
  if (
    (error as { code?: string }).code === 'ECONNREFUSED' ||
    /connection terminated|too many clients/i.test(error.message)
  ) {
    return new DependencyUnavailable('PostgreSQL', error);
  }
  return undefined;
}

/** The single error handler: catalog errors as they are, Fastify's own 4xx kept, the rest a bare 500. */
export function installErrorHandler(app: ApiApp): void {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const mapped = toApiError(error, request);
    if (mapped) {
      if (mapped.status >= 500) request.log.warn({ err: error }, mapped.message);
      return reply.code(mapped.status).headers(mapped.headers).send(mapped.body());
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return reply
        .code(status)
        .send({ error: (error.code ?? 'bad_request').toLowerCase(), message: error.message });
    }
    request.log.error({ err: error }, 'request failed');
    const internal = new InternalError(request.id);
    return reply.code(internal.status).send(internal.body());
  });
  app.setNotFoundHandler((request, reply) => {
    const notFound = new RouteNotFound(request.method, request.url);
    return reply.code(notFound.status).send(notFound.body());
  });
}
