import 'reflect-metadata';
import { Provider, Type } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureAdminPipeline } from '../../src/app.factory';
import { AuthModule } from '../../src/auth/auth.module';
import { configModuleFor } from '../../src/config/config.namespaces';
import { parseSettings } from '../../src/config/settings.schema';

export const REGISTRATION_KEY = 'contract-registration-key-0123456789';
export const ADMIN_KEY = 'contract-admin-key-0123456789abcdef';

export interface ContractResponse {
  status: number;
  headers: Record<string, unknown>;
  /** Parsed JSON, or the text when the answer is not JSON. */
  body: unknown;
}

export interface BootedController {
  request(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    options?: { body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<ContractResponse>;
  close(): Promise<void>;
}

/**
 * Boots one controller as the admin app would: real settings through the real schema, the real
 * AuthModule (keys, network policy, guards), the production pipe, JSON parser and exception
 * filter; `fakes` replace only what the controller and its guards inject. Requests go through
 * Fastify's inject, so no port is needed.
 */
export async function bootController(
  controller: Type<unknown>,
  fakes: Provider[],
  env: Record<string, string> = {},
): Promise<BootedController> {
  const dataDir = mkdtempSync(join(tmpdir(), 'waypost-contract-'));
  const settings = parseSettings({
    env: { REGISTRATION_KEY, ADMIN_KEY, STORE: 'memory', DATA_DIR: dataDir, ...env },
    file: {},
  });
  const moduleRef = await Test.createTestingModule({
    imports: [configModuleFor(settings), AuthModule],
    controllers: [controller],
    providers: fakes,
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
    logger: false,
    bodyParser: false,
  });
  configureAdminPipeline(app);
  await app.init();
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.ready();
  return {
    async request(method, url, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      let payload: string | undefined = options.raw;
      if (payload === undefined && options.body !== undefined) {
        payload = JSON.stringify(options.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fastify.inject({ method, url, headers, payload });
      let body: unknown = response.body;
      try {
        body = JSON.parse(response.body);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.statusCode, headers: response.headers, body };
    },
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
