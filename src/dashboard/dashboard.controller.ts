import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppError } from '../common/errors/app-error';
import { PAGE_FILES, PAGE_HEADERS } from './page-headers';

/** ui/ of the repository: two folders up from both src/dashboard and dist/dashboard. */
const UI_DIR = join(__dirname, '..', '..', 'ui');

/**
 * `GET /ui`: the operators' dashboard, a static page read once at start. It carries no data and
 * needs no key: the page asks for the admin key and sends it with each API call, where the API's
 * own guards check it.
 */
@ApiExcludeController()
@Controller('ui')
export class DashboardController {
  private readonly files = new Map(
    Object.entries(PAGE_FILES).map(([name, type]) => [
      name,
      { type, body: readFileSync(join(UI_DIR, name)) },
    ]),
  );

  @Get()
  page(@Res() reply: FastifyReply): void {
    this.send(reply, 'index.html');
  }

  @Get(':file')
  file(@Param('file') file: string, @Res() reply: FastifyReply): void {
    this.send(reply, file);
  }

  private send(reply: FastifyReply, name: string): void {
    const file = this.files.get(name);
    if (!file) throw new AppError('NOT_FOUND', 'no such dashboard file');
    void reply.headers(PAGE_HEADERS).header('content-type', file.type).send(file.body);
  }
}
