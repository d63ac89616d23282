import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsSafeString } from '../../common/validation';
import { INSTANCE_STATUSES, InstanceStatus } from '../../model/instance';

/** Filters of `GET /services/:serviceType`. */
export class ListInstancesQueryDto {
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
