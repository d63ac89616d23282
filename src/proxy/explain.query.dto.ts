import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { HTTP_METHODS } from '../common/route-input/http-methods';
import { IsHostname } from '../common/validation';

/** `GET /routes/explain`: the request to explain. */
export class ExplainQueryDto {
  @ApiPropertyOptional({ enum: HTTP_METHODS, default: 'GET' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.toUpperCase() : value))
  @IsIn(HTTP_METHODS)
  method?: string;

  @ApiProperty({ example: 'api.example.com', description: 'The Host the client would send' })
  @Transform(({ value }) =>
    typeof value === 'string' ? value.toLowerCase().replace(/:\d{1,5}$/, '') : value,
  )
  @IsHostname()
  host!: string;

  @ApiProperty({ example: '/users/42', description: 'Path and query the client would send' })
  @IsString()
  @MaxLength(2048)
  @Matches(/^\/[\x21-\x7e]*$/, {
    message: 'path must start with / and hold printable characters only',
  })
  path!: string;
}
