import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';

/** `GET /events`. */
export class EventsQueryDto {
  @ApiPropertyOptional({
    description: 'Also healthCheckPassed and healthCheckFailed',
    example: true,
  })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  checks?: boolean;
}
