import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, ValidateNested } from 'class-validator';
import { IsHttpUrl, IsRoutePath, IsServiceType } from '../../common/validation';
import { RouteDto } from '../../common/route-input/route.dto';

/** `POST /internal/register-service` of the service/url/routes registry. */
export class RegisterServiceDto {
  @ApiProperty({ example: 'sagjan' })
  @IsServiceType()
  service!: string;

  @ApiProperty({ example: 'http://127.0.0.1:7812' })
  @IsHttpUrl()
  url!: string;

  @ApiPropertyOptional({ example: '/health', default: '/health' })
  @IsOptional()
  @IsRoutePath()
  health_endpoint?: string;

  @ApiPropertyOptional({
    type: [RouteDto],
    example: [{ method: 'GET', path: '/api/comments/*', permission: 'comments:read' }],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(64)
  @ValidateNested({ each: true })
  @Type(() => RouteDto)
  routes?: RouteDto[];
}
