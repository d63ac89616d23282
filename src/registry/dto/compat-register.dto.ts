import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import { IsDuration, IsHostPattern, IsHttpUrl, IsRoutePath } from '../../common/validation';
import { RouteOptionsDto } from '../../common/route-input/route-options.dto';

/** `options` of `POST /register`: the route options, plus the seed registry's health settings. */
export class CompatRouteOptionsDto extends RouteOptionsDto {
  @ApiPropertyOptional({ example: '/health' })
  @IsOptional()
  @IsRoutePath()
  health_check_path?: string;

  @ApiPropertyOptional({ example: '10s' })
  @IsOptional()
  @IsDuration({ minMs: 100, maxMs: 86_400_000 })
  health_check_interval?: number;
}

/** `POST /register` of the host/path/backend registry. */
export class CompatRegisterDto {
  @ApiProperty({ example: 'api.example.com' })
  @IsHostPattern()
  host!: string;

  @ApiProperty({ example: '/v2' })
  @IsRoutePath()
  path!: string;

  @ApiProperty({ example: 'http://api-v2:9000' })
  @IsHttpUrl()
  backend!: string;

  @ApiPropertyOptional({ type: CompatRouteOptionsDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CompatRouteOptionsDto)
  options?: CompatRouteOptionsDto;
}

/** `POST /deregister`. */
export class CompatDeregisterDto {
  @ApiProperty({ example: 'api.example.com' })
  @IsHostPattern()
  host!: string;

  @ApiProperty({ example: '/v2' })
  @IsRoutePath()
  path!: string;
}
