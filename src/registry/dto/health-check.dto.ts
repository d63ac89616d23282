import type { HealthCheckInput } from '@waypost/client';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsDuration, IsRoutePath } from '../../common/validation';
import { CHECK_TYPES, CheckType } from '../../model/instance';

export class HealthCheckDto implements HealthCheckInput {
  @ApiPropertyOptional({
    enum: CHECK_TYPES,
    default: 'http',
    description: 'How Waypost checks the instance',
  })
  @IsOptional()
  @IsIn(CHECK_TYPES)
  type?: CheckType;

  @ApiPropertyOptional({ default: '/health', description: 'Path of an http check' })
  @IsOptional()
  @IsRoutePath()
  path?: string;

  @ApiPropertyOptional({
    example: '10s',
    description: 'Time between checks; default HEALTH_CHECK_INTERVAL',
  })
  @IsOptional()
  @IsDuration({ minMs: 100, maxMs: 86_400_000 })
  interval?: number;

  @ApiPropertyOptional({
    example: '2s',
    description: 'A slower check fails; default HEALTH_CHECK_TIMEOUT',
  })
  @IsOptional()
  @IsDuration({ minMs: 10, maxMs: 3_600_000 })
  timeout?: number;

  @ApiPropertyOptional({
    example: '30s',
    description: 'For ttl checks: how long one heartbeat counts',
  })
  @IsOptional()
  @IsDuration({ minMs: 100, maxMs: 86_400_000 })
  ttl?: number;
}
