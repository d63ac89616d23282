import type { RegisterInput } from '@waypost/client';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsOptional,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import {
  IsHostname,
  IsHttpUrl,
  IsSafeString,
  IsServiceType,
  IsStringMap,
  ToIntegerIfNumeric,
} from '../../common/validation';
import { HealthCheckDto } from './health-check.dto';
import { RouteDto } from '../../common/route-input/route.dto';

export const METADATA_LIMITS = { maxEntries: 64, maxKeyLength: 128, maxValueLength: 1024 };

/** `POST /service`: a service instance registering itself. */
export class RegisterInstanceDto implements RegisterInput {
  @ApiProperty({ example: 'user-service', description: 'The service this instance belongs to' })
  @IsServiceType()
  serviceType!: string;

  @ApiPropertyOptional({
    example: 3000,
    description: 'Port (a numeric string is accepted); required without url',
  })
  @IsOptional()
  @ToIntegerIfNumeric()
  @IsInt()
  @Min(1)
  @Max(65535)
  port?: number;

  @ApiPropertyOptional({
    example: '10.0.0.7',
    description: "Host or IP; default: the caller's address",
  })
  @IsOptional()
  @IsHostname()
  host?: string;

  @ApiPropertyOptional({
    example: 'http://10.0.0.7:3000',
    description: 'Base URL, instead of host and port',
  })
  @IsOptional()
  @IsHttpUrl()
  url?: string;

  @ApiPropertyOptional({ type: HealthCheckDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => HealthCheckDto)
  healthCheck?: HealthCheckDto;

  @ApiPropertyOptional({
    example: { commit: 'a1b2c3' },
    description: 'String map, at most 64 entries',
  })
  @IsOptional()
  @IsStringMap(METADATA_LIMITS)
  metadata?: Record<string, string>;

  @ApiPropertyOptional({ example: ['blue'], description: 'At most 32 tags of 64 characters' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(32)
  @IsSafeString(64, { each: true })
  tags?: string[];

  @ApiPropertyOptional({ example: '1.4.2' })
  @IsOptional()
  @IsSafeString(64)
  version?: string;

  @ApiPropertyOptional({ example: 'eu-west-1a' })
  @IsOptional()
  @IsSafeString(64)
  zone?: string;

  @ApiPropertyOptional({
    example: 1,
    default: 1,
    description: 'Share of traffic under the weighted balancer',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  weight?: number;

  @ApiPropertyOptional({
    type: [RouteDto],
    description: 'Gateway routes to this service (at most 64)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => RouteDto)
  routes?: RouteDto[];
}
