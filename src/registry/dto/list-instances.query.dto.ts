import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsDuration, IsSafeString, ToIntegerIfNumeric } from '../../common/validation';
import { INSTANCE_STATUSES, InstanceStatus } from '../../model/instance';

/** How long a long-poll waits without `wait`, and the longest it may. */
export const DEFAULT_WAIT_MS = 30_000;
export const MAX_WAIT_MS = 5 * 60_000;

/** Filters of `GET /services/:serviceType` and of its watch. */
export class DiscoveryFilterDto {
  @ApiPropertyOptional({ enum: INSTANCE_STATUSES })
  @IsOptional()
  @IsIn(INSTANCE_STATUSES)
  status?: InstanceStatus;

  @ApiPropertyOptional({ description: 'Only instances with this tag' })
  @IsOptional()
  @IsSafeString(64)
  tag?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsSafeString(64)
  zone?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsSafeString(64)
  version?: string;
}

/** `GET /services/:serviceType`: the filters, and a long-poll's `index` and `wait`. */
export class ListInstancesQueryDto extends DiscoveryFilterDto {
  @ApiPropertyOptional({
    description:
      'Long-poll: answer once the service has changed after this index (X-Waypost-Index of an earlier answer)',
    example: 42,
  })
  @IsOptional()
  @ToIntegerIfNumeric()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  index?: number;

  @ApiPropertyOptional({
    description: 'Long-poll: how long to wait for a change (default 30s, at most 5m)',
    example: '30s',
  })
  @IsOptional()
  @IsDuration({ minMs: 0, maxMs: MAX_WAIT_MS })
  wait?: number;
}
