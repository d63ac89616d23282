import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsHttpUrl, IsServiceType } from '../common/validation';
import { RouteDto } from '../common/route-input/route.dto';

/** A static route of the config file: a route that sends to one backend URL or to a service. */
export class ConfigRouteDto extends RouteDto {
  @ApiPropertyOptional({ description: 'Backend URL', example: 'http://api-v2:9000' })
  @IsOptional()
  @IsHttpUrl()
  backend?: string;

  @ApiPropertyOptional({ description: 'Service type whose UP instances take the traffic' })
  @IsOptional()
  @IsServiceType()
  service?: string;
}
