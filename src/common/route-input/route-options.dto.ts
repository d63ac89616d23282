import type { RouteOptionsInput } from '@waypost/client';
import { ApiExtraModels, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { plainToInstance, Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { HEADER_NAME, IsDuration, IsStringMap, PERMISSION } from '../validation';
import {
  byteSizeSchema,
  CompressionDto,
  CorsDto,
  HeaderRulesDto,
  IsByteSize,
  IsCidrList,
  RedirectDto,
  RewriteDto,
} from './edge-options.dto';
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
@ApiExtraModels(CompressionDto)
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
    keyPattern: HEADER_NAME,
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

  @ApiPropertyOptional({ type: CorsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CorsDto)
  cors?: CorsDto;

  @ApiPropertyOptional({
    type: HeaderRulesDto,
    description: 'Rules for the headers the backend gets',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => HeaderRulesDto)
  request_headers?: HeaderRulesDto;

  @ApiPropertyOptional({
    type: HeaderRulesDto,
    description: 'Rules for the headers the client gets',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => HeaderRulesDto)
  response_headers?: HeaderRulesDto;

  @ApiPropertyOptional({ type: RedirectDto, description: 'Answered by the gateway' })
  @IsOptional()
  @ValidateNested()
  @Type(() => RedirectDto)
  redirect?: RedirectDto;

  @ApiPropertyOptional({ type: RewriteDto, description: 'Regex on the path, after strip_prefix' })
  @IsOptional()
  @ValidateNested()
  @Type(() => RewriteDto)
  rewrite?: RewriteDto;

  @ApiPropertyOptional({
    description: 'Largest request body: bytes or "10mb"',
    oneOf: byteSizeSchema('10mb'),
  })
  @IsOptional()
  @IsByteSize({ max: 1024 ** 4 })
  max_body_size?: number;

  @ApiPropertyOptional({
    description: 'Only these client CIDRs (else 403)',
    example: ['10.0.0.0/8'],
  })
  @IsOptional()
  @IsCidrList()
  allow_from?: string[];

  @ApiPropertyOptional({
    description: 'Never these client CIDRs (403)',
    example: ['203.0.113.0/24'],
  })
  @IsOptional()
  @IsCidrList()
  deny_from?: string[];

  @ApiPropertyOptional({
    description: 'gzip or brotli by Accept-Encoding: true, or {min_size, types}',
    oneOf: [{ type: 'boolean' }, { $ref: getSchemaPath(CompressionDto) }],
  })
  @IsOptional()
  @Transform(({ value }) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? plainToInstance(CompressionDto, value)
      : value,
  )
  @ValidateIf((dto: RouteOptionsDto) => typeof dto.compression !== 'boolean')
  @ValidateNested()
  compression?: boolean | CompressionDto;
}
