import swaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

/** The OpenAPI document generated from the route schemas, and interactive docs over it. */
const docsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { persistAuthorization: true } });
  app.get(
    '/openapi.json',
    {
      schema: {
        hide: true,
        response: { 200: Type.Unknown({ description: 'OpenAPI 3.1 document.' }) },
      },
    },
    () => Promise.resolve(app.swagger()),
  );
};

export default docsRoutes;
