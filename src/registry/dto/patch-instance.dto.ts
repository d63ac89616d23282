import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsStringMap } from '../../common/validation';
import { METADATA_LIMITS } from './register-instance.dto';

/** `PATCH /service/:id`: drain (MAINTENANCE) or undrain (UP), metadata, weight. */
export class PatchInstanceDto {
  @ApiPropertyOptional({
    enum: ['MAINTENANCE', 'UP'],
    description: 'MAINTENANCE drains; UP hands it back to the checks',
  })
  @IsOptional()
  @IsIn(['MAINTENANCE', 'UP'])
  status?: 'MAINTENANCE' | 'UP';

  @ApiPropertyOptional({ description: 'Replaces the metadata map' })
  @IsOptional()
  @IsStringMap(METADATA_LIMITS)
  metadata?: Record<string, string>;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  weight?: number;
}
