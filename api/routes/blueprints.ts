import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { formatBlueprint, parseBlueprintText, type BlueprintFormat } from '../../lib/blueprints/format.js';
import {
  cloneBlueprint,
  createBlueprint,
  deleteBlueprint,
  getBlueprint,
  listBlueprints,
  listBlueprintVersions,
  updateBlueprint,
  type StoredBlueprint,
} from '../../lib/blueprints/repository.js';
import {
  Blueprint,
  BlueprintId,
  BlueprintInput,
  BlueprintName,
  SEMVER_PATTERN,
  SemVer,
} from '../../lib/blueprints/schema.js';
import { validateBlueprintInput } from '../../lib/blueprints/validate.js';
import type { ApiContext } from '../context.js';
import { ValidationFailed } from '../errors.js';
import { authenticate, principalOf, requirePermission } from '../guards.js';
import { idempotency } from '../idempotency.js';
import { AUTHENTICATED_ERRORS, BEARER, errorResponses, IdempotencyHeaders } from '../schemas.js';

const IdParams = Type.Object({ id: BlueprintId });
const VersionQuery = Type.Object({ version: Type.Optional(SemVer) }, { additionalProperties: false });

const BlueprintSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  latestVersion: Type.String(),
  provider: Type.String(),
  description: Type.String(),
  tags: Type.Array(Type.String()),
  createdBy: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
const BlueprintPage = Type.Object({
  items: Type.Array(BlueprintSummary),
  nextCursor: Type.Optional(Type.String()),
});
const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 100, description: 'nextCursor of the previous page.' })),
  },
  { additionalProperties: false },
);
const VersionList = Type.Object({
  items: Type.Array(
    Type.Object({
      version: Type.String(),
      hash: Type.String(),
      createdBy: Type.String(),
      createdAt: Type.String(),
    }),
  ),
});
const CloneBody = Type.Object(
  {
    name: BlueprintName,
    id: Type.Optional(BlueprintId),
    version: Type.Optional(
      Type.String({ pattern: SEMVER_PATTERN, description: 'Version to copy. Default: latest.' }),
    ),
  },
  { additionalProperties: false },
);
const ExportQuery = Type.Object(
  { format: Type.Optional(Type.Enum(['yaml', 'json'], { default: 'yaml' })), version: Type.Optional(SemVer) },
  { additionalProperties: false },
);

const IMPORT_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'application/json'];
const CONTENT_TYPES: Record<BlueprintFormat, string> = {
  yaml: 'application/yaml; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

function created(reply: FastifyReply, stored: StoredBlueprint) {
  return reply
    .code(201)
    .header('location', `/v1/blueprints/${stored.blueprint.id}?version=${stored.blueprint.version}`)
    .header('etag', `"${stored.hash}"`)
    .send(stored.blueprint);
}

const blueprintsRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const idempotent = idempotency(ctx);
  const read = { onRequest: authenticate(ctx), preHandler: requirePermission('blueprints:read') };
  const write = { onRequest: authenticate(ctx), preHandler: requirePermission('blueprints:write') };
  const writeOnce = {
    onRequest: authenticate(ctx),
    preHandler: [requirePermission('blueprints:write'), idempotent.preHandler],
    onSend: idempotent.onSend,
  };
  const actor = (request: FastifyRequest) => principalOf(request).subject;
  const tags = ['blueprints'];

  app.get(
    '/v1/blueprints',
    {
      schema: {
        summary: 'List blueprints (deleted ones excluded), by id',
        tags,
        security: BEARER,
        querystring: ListQuery,
        response: { 200: BlueprintPage, ...errorResponses(...AUTHENTICATED_ERRORS) },
      },
      ...read,
    },
    async (request) =>
      listBlueprints(ctx.db, {
        limit: request.query.limit ?? 50,
        ...(request.query.cursor ? { after: request.query.cursor } : {}),
      }),
  );

  app.post(
    '/v1/blueprints',
    {
      schema: {
        summary: 'Create a blueprint; its first version is `version` or 1.0.0',
        tags,
        security: BEARER,
        headers: IdempotencyHeaders,
        body: BlueprintInput,
        response: { 201: Blueprint, ...errorResponses(...AUTHENTICATED_ERRORS, 409) },
      },
      ...writeOnce,
    },
    async (request, reply) =>
      created(reply, await createBlueprint(ctx.db, validateBlueprintInput(request.body), actor(request))),
  );

  app.get(
    '/v1/blueprints/:id',
    {
      schema: {
        summary: 'A blueprint: its latest version, or the one asked for',
        tags,
        security: BEARER,
        params: IdParams,
        querystring: VersionQuery,
        response: { 200: Blueprint, ...errorResponses(...AUTHENTICATED_ERRORS, 404) },
      },
      ...read,
    },
    async (request, reply) => {
      const { version } = request.query;
      const stored = await getBlueprint(ctx.db, request.params.id, version ? { version } : {});
      return reply.header('etag', `"${stored.hash}"`).send(stored.blueprint);
    },
  );

  app.put(
    '/v1/blueprints/:id',
    {
      schema: {
        summary: 'Save a new version: the given higher version, else the minor version bumped',
        description: 'Content equal to the latest version without a version saves nothing and returns it.',
        tags,
        security: BEARER,
        params: IdParams,
        body: BlueprintInput,
        response: { 200: Blueprint, ...errorResponses(...AUTHENTICATED_ERRORS, 404, 409) },
      },
      ...write,
    },
    async (request, reply) => {
      const input = validateBlueprintInput(request.body);
      if (input.id !== undefined && input.id !== request.params.id) {
        throw new ValidationFailed([
          {
            in: 'body',
            field: '/id',
            message: `must be ${request.params.id} (the id in the path) or absent`,
          },
        ]);
      }
      const result = await updateBlueprint(ctx.db, request.params.id, input, actor(request));
      return reply.header('etag', `"${result.hash}"`).send(result.blueprint);
    },
  );

  app.delete(
    '/v1/blueprints/:id',
    {
      schema: {
        summary: 'Delete a blueprint: hidden from lists, its versions kept for the deployments using them',
        tags,
        security: BEARER,
        params: IdParams,
        response: { 204: Type.Null(), ...errorResponses(...AUTHENTICATED_ERRORS, 404) },
      },
      ...write,
    },
    async (request, reply) => {
      await deleteBlueprint(ctx.db, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/blueprints/:id/clone',
    {
      schema: {
        summary: 'Copy a blueprint version into a new blueprint at 1.0.0',
        tags,
        security: BEARER,
        headers: IdempotencyHeaders,
        params: IdParams,
        body: CloneBody,
        response: { 201: Blueprint, ...errorResponses(...AUTHENTICATED_ERRORS, 404, 409) },
      },
      ...writeOnce,
    },
    async (request, reply) =>
      created(reply, await cloneBlueprint(ctx.db, request.params.id, request.body, actor(request))),
  );

  app.get(
    '/v1/blueprints/:id/versions',
    {
      schema: {
        summary: 'Every version of a blueprint, oldest first',
        tags,
        security: BEARER,
        params: IdParams,
        response: { 200: VersionList, ...errorResponses(...AUTHENTICATED_ERRORS, 404) },
      },
      ...read,
    },
    async (request) => ({ items: await listBlueprintVersions(ctx.db, request.params.id) }),
  );

  app.get(
    '/v1/blueprints/:id/export',
    {
      schema: {
        summary: 'A blueprint version as a YAML or JSON document, ready to import elsewhere',
        tags,
        security: BEARER,
        params: IdParams,
        querystring: ExportQuery,
        response: { 200: Type.String(), ...errorResponses(...AUTHENTICATED_ERRORS, 404) },
      },
      ...read,
    },
    async (request, reply) => {
      const format: BlueprintFormat = request.query.format ?? 'yaml';
      const { version } = request.query;
      const { blueprint } = await getBlueprint(ctx.db, request.params.id, version ? { version } : {});
      return reply
        .type(CONTENT_TYPES[format])
        .header(
          'content-disposition',
          `attachment; filename="${blueprint.id}-${blueprint.version}.${format}"`,
        )
        .send(formatBlueprint(blueprint, format));
    },
  );

  // The import route reads its body as text (own parsers in this scope only), so YAML and JSON syntax
  // errors are reported with their line and column instead of a generic parse failure.
  await app.register((scope, _options, done) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser(IMPORT_TYPES, { parseAs: 'string' }, (_request, body, done) =>
      done(null, body),
    );
    scope.withTypeProvider<TypeBoxTypeProvider>().post(
      '/v1/blueprints/import',
      {
        schema: {
          summary: 'Create a blueprint from a YAML or JSON document (e.g. an export)',
          description: `Content-Type: ${IMPORT_TYPES.join(', ')}.`,
          tags,
          security: BEARER,
          headers: IdempotencyHeaders,
          body: Type.String({ minLength: 1, description: 'The document, as text.' }),
          response: { 201: Blueprint, ...errorResponses(...AUTHENTICATED_ERRORS, 409, 415) },
        },
        ...writeOnce,
      },
      async (request, reply) => {
        const format: BlueprintFormat = /json/.test(request.headers['content-type'] ?? '') ? 'json' : 'yaml';
        const input = validateBlueprintInput(parseBlueprintText(request.body, format));
        return created(reply, await createBlueprint(ctx.db, input, actor(request)));
      },
    );
    done();
  });
};

export default blueprintsRoutes;
