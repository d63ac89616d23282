import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidationOptions,
} from 'class-validator';
import { parseCidr } from '../cidr';
import {
  HEADER_VARIABLES,
  isProtectedHeader,
  parseByteSize,
  parseTemplate,
  REDIRECT_VARIABLES,
  unsafePattern,
} from '../../model/edge-rules';
import { REDIRECT_STATUSES, RedirectStatus } from '../../model/route';
import { HEADER_NAME, NO_CONTROL_CHARS } from '../validation';
import { HTTP_METHODS } from './http-methods';

/** A validator whose message says why, from a function that answers null or the reason. */
function ValidateWith(
  name: string,
  why: (value: unknown) => string | null,
  options?: ValidationOptions,
): PropertyDecorator {
  let reason = '';
  return ValidateBy(
    {
      name,
      validator: {
        validate: (value) => {
          const problem = why(value);
          reason = problem ?? '';
          return problem === null;
        },
        defaultMessage: () => `$property ${reason}`,
      },
    },
    options,
  );
}

const ORIGIN =
  /^https?:\/\/(\*\.)?[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*(:\d{1,5})?$/;

function originProblem(value: unknown): string | null {
  if (!Array.isArray(value) || value.length === 0 || value.length > 64)
    return 'must be a list of 1 to 64 origins';
  for (const origin of value) {
    if (origin === '*') continue;
    if (typeof origin !== 'string' || origin.length > 256 || !ORIGIN.test(origin))
      return 'must hold origins such as https://app.example.com, https://*.example.com or *';
  }
  return null;
}

function headerListProblem(value: unknown, rule: boolean): string | null {
  if (!Array.isArray(value) || value.length > 64)
    return 'must be a list of at most 64 header names';
  for (const name of value) {
    if (typeof name !== 'string' || name.length > 128 || !HEADER_NAME.test(name))
      return 'must hold header names';
    if (rule && isProtectedHeader(name)) return `cannot change ${name.toLowerCase()}`;
  }
  return null;
}

function headerMapProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'must be an object of header names to values';
  const entries = Object.entries(value);
  if (entries.length > 32) return 'must hold at most 32 headers';
  for (const [name, template] of entries) {
    if (name.length > 128 || !HEADER_NAME.test(name)) return `has a bad header name`;
    if (isProtectedHeader(name)) return `cannot change ${name.toLowerCase()}`;
    if (typeof template !== 'string' || template.length > 1024 || !NO_CONTROL_CHARS.test(template))
      return `.${name} must be at most 1024 printable characters`;
    try {
      parseTemplate(template, HEADER_VARIABLES);
    } catch (error) {
      return `.${name} has an ${(error as Error).message}`;
    }
  }
  return null;
}

export class CorsDto {
  @ApiProperty({
    description: 'Allowed origins: exact, `https://*.example.com`, or `*`',
    example: ['https://app.example.com'],
  })
  @ValidateWith('isOriginList', originProblem)
  origins!: string[];

  @ApiPropertyOptional({
    enum: HTTP_METHODS,
    isArray: true,
    description: 'Default: the route’s methods',
  })
  @IsOptional()
  @Transform(({ value }) =>
    Array.isArray(value) ? value.map((m) => (typeof m === 'string' ? m.toUpperCase() : m)) : value,
  )
  @IsArray()
  @ArrayMinSize(1)
  @IsIn(HTTP_METHODS, { each: true })
  methods?: string[];

  @ApiPropertyOptional({
    description: 'Request headers allowed; default: those the preflight asks for',
  })
  @IsOptional()
  @ValidateWith('isHeaderList', (v) => headerListProblem(v, false))
  headers?: string[];

  @ApiPropertyOptional({ description: 'Response headers the page may read' })
  @IsOptional()
  @ValidateWith('isHeaderList', (v) => headerListProblem(v, false))
  expose_headers?: string[];

  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  credentials?: boolean;

  @ApiPropertyOptional({ description: 'Seconds a browser may cache a preflight', example: 600 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(86_400)
  max_age?: number;
}

export class HeaderRulesDto {
  @ApiPropertyOptional({ example: { 'X-Client-Ip': '${client_ip}' } })
  @IsOptional()
  @ValidateWith('isHeaderRuleMap', headerMapProblem)
  set?: Record<string, string>;

  @ApiPropertyOptional({ example: { Via: 'waypost' } })
  @IsOptional()
  @ValidateWith('isHeaderRuleMap', headerMapProblem)
  add?: Record<string, string>;

  @ApiPropertyOptional({ example: ['X-Powered-By'] })
  @IsOptional()
  @ValidateWith('isHeaderList', (v) => headerListProblem(v, true))
  remove?: string[];
}

function redirectTargetProblem(value: unknown): string | null {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > 2048 ||
    !NO_CONTROL_CHARS.test(value)
  )
    return 'must be a URL or a path of at most 2048 printable characters';
  try {
    parseTemplate(value, REDIRECT_VARIABLES);
  } catch (error) {
    return `has an ${(error as Error).message}`;
  }
  const sample = value.replace(/\$\{[a-z_]+\}/g, 'x');
  if (sample.startsWith('/')) return sample.startsWith('//') ? 'must not start with //' : null;
  try {
    const url = new URL(sample);
    if (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.username === '' &&
      url.password === ''
    )
      return null;
  } catch {
    // falls through to the message
  }
  return 'must be an absolute http(s) URL without credentials, or a path starting with /';
}

export class RedirectDto {
  @ApiProperty({ example: 'https://new.example.com${path}' })
  @ValidateWith('isRedirectTarget', redirectTargetProblem)
  to!: string;

  @ApiPropertyOptional({ enum: REDIRECT_STATUSES, default: 302 })
  @IsOptional()
  @IsIn(REDIRECT_STATUSES)
  status?: RedirectStatus;
}

export class RewriteDto {
  @ApiProperty({ example: '^/v1/(.*)$' })
  @MaxLength(256)
  @ValidateWith('isSafePattern', (v) =>
    typeof v === 'string' ? unsafePattern(v) : 'must be a string',
  )
  pattern!: string;

  @ApiProperty({ example: '/api/$1' })
  @MaxLength(1024)
  @Matches(/^\/[^\u0000-\u0020\u007f]*$/, { message: '$property must be a path starting with /' })
  replacement!: string;
}

export class CompressionDto {
  @ApiPropertyOptional({
    description: 'Bytes or "1kb"; smaller answers go as they are',
    default: 1024,
    oneOf: byteSizeSchema('1kb'),
  })
  @IsOptional()
  @IsByteSize({ max: 1024 ** 3 })
  min_size?: number;

  @ApiPropertyOptional({ description: 'Media types: exact or `text/*`' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(64)
  @Matches(/^[a-z0-9!#$&^_.+-]{1,64}\/(\*|[a-z0-9!#$&^_.+-]{1,64})$/, {
    each: true,
    message: '$property must hold media types such as application/json or text/*',
  })
  types?: string[];
}

/** The OpenAPI shape of a size IsByteSize takes: whole bytes, or a string with a unit. */
export function byteSizeSchema(example: string): Array<Record<string, unknown>> {
  return [
    { type: 'integer', minimum: 1 },
    { type: 'string', example },
  ];
}

/** Bytes, or a size with a unit (`512kb`, `10mb`, `1gb`), turned into bytes before validation. */
export function IsByteSize(
  bounds: { max: number },
  options?: ValidationOptions,
): PropertyDecorator {
  return (target, key) => {
    Transform(({ value }) => parseByteSize(value) ?? value)(target, key);
    ValidateWith(
      'isByteSize',
      (value) =>
        typeof value === 'number' && value >= 1 && value <= bounds.max
          ? null
          : `must be bytes or a size such as 512kb or 10mb, from 1 byte to ${bounds.max} bytes`,
      options,
    )(target, key);
  };
}

export function IsCidrList(options?: ValidationOptions): PropertyDecorator {
  return ValidateWith(
    'isCidrList',
    (value) => {
      if (!Array.isArray(value) || value.length === 0 || value.length > 256)
        return 'must be a list of 1 to 256 CIDRs';
      for (const cidr of value) {
        try {
          if (typeof cidr !== 'string' || cidr.length > 64) throw new Error();
          parseCidr(cidr);
        } catch {
          return 'must hold CIDRs such as 10.0.0.0/8, 203.0.113.7 or fd00::/8';
        }
      }
      return null;
    },
    options,
  );
}
