import { Type, type Static } from 'typebox';

/** Shapes of a blueprint (domain section 1), shared by validation, storage, the API and synthesis. */

export const BLUEPRINT_PROVIDERS = ['aws', 'azure', 'gcp', 'local'] as const;
export type BlueprintProvider = (typeof BLUEPRINT_PROVIDERS)[number];

export const HEALTH_CHECK_KINDS = ['http', 'tcp', 'sql'] as const;

/** Semantic versioning 2.0.0, without build metadata (it would not order versions). */
export const SEMVER_PATTERN =
  '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$';

/** Identifiers Terraform accepts for resource, variable and output names. */
const IDENTIFIER = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z_][A-Za-z0-9_-]*$' });

export const BlueprintName = Type.String({
  minLength: 3,
  maxLength: 100,
  pattern: '^[a-zA-Z0-9_-]+$',
  description: '3-100 characters of letters, digits, - and _.',
});

export const BlueprintId = Type.String({
  minLength: 3,
  maxLength: 100,
  pattern: '^[a-z0-9][a-z0-9_-]*$',
  description: 'Lowercase letters, digits, - and _; defaults to the lowercased name.',
});

export const SemVer = Type.String({ pattern: SEMVER_PATTERN, description: 'Semantic version, e.g. 1.2.0.' });

const Properties = Type.Record(Type.String(), Type.Unknown(), {
  description: 'Arguments of the Terraform resource; strings may hold ${...} references.',
});

export const BlueprintResource = Type.Object(
  {
    type: Type.String({
      minLength: 3,
      maxLength: 100,
      pattern: '^[a-z][a-z0-9]*_[a-z0-9_]+$',
      description: 'Terraform resource type, e.g. dharma_postgresql_database.',
    }),
    name: IDENTIFIER,
    properties: Type.Optional(Properties),
    dependsOn: Type.Optional(Type.Array(IDENTIFIER, { description: 'Names of resources created first.' })),
  },
  { additionalProperties: false },
);

export const BlueprintVariable = Type.Object(
  {
    type: Type.Optional(Type.String({ minLength: 1, description: 'Terraform type, e.g. string, number.' })),
    description: Type.Optional(Type.String()),
    default: Type.Optional(Type.Unknown()),
    sensitive: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const BlueprintOutput = Type.Object(
  {
    value: Type.Unknown({ description: 'Expression, e.g. "${dharma_postgresql_database.db.name}".' }),
    description: Type.Optional(Type.String()),
    sensitive: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

/**
 * What the verify step checks after apply. Strings may name outputs as `${output.<name>}`; the verify
 * step substitutes them from the applied outputs.
 */
export const HealthCheck = Type.Object(
  {
    name: IDENTIFIER,
    kind: Type.Enum([...HEALTH_CHECK_KINDS]),
    url: Type.Optional(Type.String({ minLength: 1, description: 'http: the URL fetched.' })),
    expectStatus: Type.Optional(
      Type.Integer({ minimum: 100, maximum: 599, description: 'http: default 200.' }),
    ),
    host: Type.Optional(Type.String({ minLength: 1, description: 'tcp: the host connected to.' })),
    port: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.String()])),
    database: Type.Optional(
      Type.String({ minLength: 1, description: 'sql: database queried with the target credentials.' }),
    ),
    query: Type.Optional(Type.String({ minLength: 1, description: 'sql: must return at least one row.' })),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 300 })),
  },
  { additionalProperties: false },
);

export const EnvironmentOverride = Type.Object(
  {
    region: Type.Optional(Type.String({ minLength: 1 })),
    variables: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'Variable defaults.' }),
    ),
    resources: Type.Optional(
      Type.Record(Type.String(), Type.Object({ properties: Properties }, { additionalProperties: false }), {
        description: 'Properties deep-merged over the named resources.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const DriftSettings = Type.Object(
  {
    interval: Type.String({
      pattern: '^[1-9]\\d*(s|m|h|d)$',
      description: 'How often drift is checked, e.g. 6h.',
    }),
    reconcile: Type.Boolean({ description: 'Apply the blueprint again (through approval) on drift.' }),
  },
  { additionalProperties: false },
);

export const BlueprintMetadata = Type.Object(
  {
    createdBy: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    tags: Type.Array(Type.String({ minLength: 1, maxLength: 64 })),
    description: Type.String({ maxLength: 2000 }),
  },
  { additionalProperties: false },
);

const BODY = {
  name: BlueprintName,
  provider: Type.Enum([...BLUEPRINT_PROVIDERS]),
  region: Type.String({ minLength: 1, maxLength: 64 }),
  resources: Type.Array(BlueprintResource, { minItems: 1 }),
  variables: Type.Optional(Type.Record(Type.String(), BlueprintVariable)),
  outputs: Type.Optional(Type.Record(Type.String(), BlueprintOutput)),
  providerConfig: Type.Optional(
    Type.Record(Type.String(), Type.Record(Type.String(), Type.Unknown()), {
      description: 'Provider block arguments by provider name; use variables for credentials.',
    }),
  ),
  healthChecks: Type.Optional(Type.Array(HealthCheck)),
  environments: Type.Optional(Type.Record(Type.String(), EnvironmentOverride)),
  drift: Type.Optional(DriftSettings),
};

/** A blueprint as written by people: server-managed fields (id, version, metadata) may be left out. */
export const BlueprintInput = Type.Object(
  {
    id: Type.Optional(BlueprintId),
    version: Type.Optional(SemVer),
    ...BODY,
    metadata: Type.Optional(Type.Partial(BlueprintMetadata)),
  },
  { additionalProperties: false },
);
export type BlueprintInput = Static<typeof BlueprintInput>;

/** A stored blueprint version: every field present, as the API returns it and synthesis reads it. */
export const Blueprint = Type.Object(
  {
    id: BlueprintId,
    version: SemVer,
    ...BODY,
    resources: Type.Array(
      Type.Object(
        {
          type: BlueprintResource.properties.type,
          name: IDENTIFIER,
          properties: Properties,
          dependsOn: Type.Array(IDENTIFIER),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
    variables: Type.Record(Type.String(), BlueprintVariable),
    outputs: Type.Record(Type.String(), BlueprintOutput),
    metadata: BlueprintMetadata,
  },
  { additionalProperties: false },
);
export type Blueprint = Static<typeof Blueprint>;
export type BlueprintResource = Blueprint['resources'][number];
export type HealthCheck = Static<typeof HealthCheck>;
export type EnvironmentOverride = Static<typeof EnvironmentOverride>;
