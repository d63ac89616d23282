import type { RouteOptionsInput } from '@waypost/client';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsDuration, IsStringMap, PERMISSION } from '../validation';
import { LOAD_BALANCERS, LoadBalancer } from '../../model/route';

export class RateLimitDto {
  @ApiPropertyOptional({ description: 'Off when false', default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ description: 'Requests allowed per minute', example: 600, default: 60 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  requests_per_min?: number;

  @ApiPropertyOptional({
    description: 'Count per client IP (true) or for the route as a whole',
    default: true,
  })
  @IsOptional()
  @IsBoolean()
  per_ip?: boolean;
}

export class CircuitBreakerDto {
  @ApiPropertyOptional({ description: 'Off when false', default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({
    description: 'Consecutive failures that open the circuit of an instance',
    default: 5,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  failure_threshold?: number;

  @ApiPropertyOptional({
    description: 'How long the circuit stays open before one trial request',
    example: '30s',
  })
  @IsOptional()
  @IsDuration({ minMs: 1, maxMs: 3_600_000 })
  timeout?: number;
}

export class RetryDto {
  @ApiPropertyOptional({ description: 'Off when false', default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ description: 'Attempts in all, the first included', default: 3 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10)
  max_attempts?: number;

  @ApiPropertyOptional({ enum: ['exponential', 'fixed'], default: 'exponential' })
  @IsOptional()
  @IsIn(['exponential', 'fixed'])
  backoff?: 'exponential' | 'fixed';
}

/** The options a route may carry, under the contract's names. */
export class RouteOptionsDto implements RouteOptionsInput {
  @ApiPropertyOptional({ description: 'Backend timeout for this route', example: '5s' })
  @IsOptional()
  @IsDuration({ minMs: 1, maxMs: 3_600_000 })
  timeout?: number;

  @ApiPropertyOptional({ description: 'Let WebSocket upgrades through' })
  @IsOptional()
  @IsBoolean()
  websocket?: boolean;

  @ApiPropertyOptional({
    description: 'Headers added to every response of this route',
    example: { 'Cache-Control': 'no-store' },
  })
  @IsOptional()
  @IsStringMap({
    maxEntries: 32,
    maxKeyLength: 128,
    maxValueLength: 1024,
    keyPattern: /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/,
  })
  headers?: Record<string, string>;

  @ApiPropertyOptional({ type: RateLimitDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => RateLimitDto)
  rate_limit?: RateLimitDto;

  @ApiPropertyOptional({ type: CircuitBreakerDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CircuitBreakerDto)
  circuit_breaker?: CircuitBreakerDto;

  @ApiPropertyOptional({ type: RetryDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => RetryDto)
  retry?: RetryDto;

  @ApiPropertyOptional({ description: "Remove the route's literal prefix before forwarding" })
  @IsOptional()
  @IsBoolean()
  strip_prefix?: boolean;

  @ApiPropertyOptional({ enum: LOAD_BALANCERS, default: 'round_robin' })
  @IsOptional()
  @IsIn(LOAD_BALANCERS)
  load_balancer?: LoadBalancer;

  @ApiPropertyOptional({
    description: 'API-key permission a client needs',
    example: 'comments:read',
  })
  @IsOptional()
  @Matches(PERMISSION, {
    message: '$property must be 1-128 letters, digits, ":", ".", "_", "*" or "-"',
  })
  permission?: string;
}
