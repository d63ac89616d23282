import type { RouteInput } from '@waypost/client';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional } from 'class-validator';
import { IsHostPattern, IsRoutePath } from '../validation';
import { HTTP_METHODS } from './http-methods';
import { RouteOptionsDto } from './route-options.dto';

/** Methods are matched case-insensitively, as clients write them both ways. */
const upperCase = (value: unknown): unknown =>
  typeof value === 'string' ? value.toUpperCase() : value;

/** A route in a `routes` list: match fields with the options beside them. */
export class RouteDto extends RouteOptionsDto implements RouteInput {
  @ApiProperty({
    description: 'Path pattern: prefix, `*` one segment, trailing `/*` the rest',
    example: '/api/comments/*',
  })
  @IsRoutePath()
  path!: string;

  @ApiPropertyOptional({ enum: HTTP_METHODS, description: 'One method; absent means every method' })
  @IsOptional()
  @Transform(({ value }) => upperCase(value))
  @IsIn(HTTP_METHODS)
  method?: string;

  @ApiPropertyOptional({ enum: HTTP_METHODS, isArray: true, description: 'Several methods' })
  @IsOptional()
  @Transform(({ value }) => (Array.isArray(value) ? value.map(upperCase) : value))
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(HTTP_METHODS.length)
  @IsIn(HTTP_METHODS, { each: true })
  methods?: string[];

  @ApiPropertyOptional({
    description: 'Exact host or `*.example.com`; absent means any host',
    example: 'api.example.com',
  })
  @IsOptional()
  @IsHostPattern()
  host?: string;
}
