import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { SECURITY } from './auth/auth.decorators';

/** Swagger UI at /docs and the OpenAPI document at /docs-json, with every auth scheme declared. */
export function setupSwagger(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Waypost')
    .setDescription(
      'Service registry, health monitor and API gateway. This is the admin (control plane) port; ' +
        'the gateway port routes traffic to healthy instances.',
    )
    .setVersion((require('../package.json') as { version: string }).version) // eslint-disable-line @typescript-eslint/no-require-imports
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'REGISTRATION_KEY' },
      SECURITY.registrationKey,
    )
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_KEY' }, SECURITY.adminKey)
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'x-service-id', description: 'Instance id' },
      SECURITY.serviceId,
    )
    .addApiKey(
      { type: 'apiKey', in: 'header', name: 'x-service-token', description: 'Instance token' },
      SECURITY.serviceToken,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });
}
