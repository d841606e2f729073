import { Type, type TSchema } from 'typebox';

export const ErrorResponse = Type.Object(
  {
    error: Type.String({ description: 'Stable error code, e.g. validation_failed, unauthenticated.' }),
    message: Type.String(),
    details: Type.Optional(Type.Unknown()),
  },
  {
    description: 'Every error: a code, a sentence, and optional details (failing fields, known types, ...).',
  },
);

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: details name the failing field and the expected shape.',
  401: 'Missing, forged, expired or otherwise unacceptable bearer token.',
  403: 'Missing permission, or the zero-trust check refused (score and reason).',
  404: 'Not found.',
  409: 'Conflict.',
  429: 'Rate limit exceeded; see Retry-After.',
  503: 'A dependency (Temporal, PostgreSQL) is unavailable; see Retry-After.',
};

/** Error responses of a route, documented in OpenAPI with the shared error body. */
export function errorResponses(...codes: number[]): Record<number, TSchema> {
  return Object.fromEntries(
    codes.map((code) => [code, { ...ErrorResponse, description: DESCRIPTIONS[code] ?? 'Error.' }]),
  );
}

/** The errors every authenticated route can answer. */
export const AUTHENTICATED_ERRORS = [400, 401, 403, 429, 503] as const;

export const BEARER = [{ bearerAuth: [] }];

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'Retries with the same key and body return the first response; another body is a 409.',
    }),
  ),
});

export const RunIdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 255, description: 'Workflow id.' }),
});
