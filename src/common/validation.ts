import {
  applyDecorators,
  ArgumentMetadata,
  PipeTransform,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { Transform } from 'class-transformer';
import {
  IsString,
  Matches,
  MaxLength,
  ValidateBy,
  ValidationOptions,
  validateSync,
  ValidatorOptions,
} from 'class-validator';
import { parseDuration } from '../model/duration';
import { AppError } from './errors/app-error';
import { verdictOf } from './validation-plan';

/** Shared validators: every DTO that takes one of these values takes it through here. */

export const NO_CONTROL_CHARS = /^[^\u0000-\u001f\u007f]*$/;

/** An HTTP field name (RFC 9110 token). */
export const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export const SERVICE_TYPE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `@Param('serviceType', ServiceTypePipe)`: a service type in a path, or a 400 naming it. */
export class ServiceTypePipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!SERVICE_TYPE.test(value)) {
      throw new AppError(
        'VALIDATION_FAILED',
        'serviceType must be 1-64 letters, digits, ".", "_" or "-"',
      );
    }
    return value;
  }
}
const HOSTNAME =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6_LITERAL = /^[0-9A-Fa-f:.]{2,45}$/;
const PATH_SEGMENT = /^(\*|[A-Za-z0-9\-._~!$&'()+,;=:@%]+)$/;
export const PERMISSION = /^[A-Za-z0-9][A-Za-z0-9:._*-]{0,127}$/;

/** A bounded, printable string: no CR, LF or other control characters can reach a header or log. */
export function IsSafeString(maxLength: number, options?: ValidationOptions): PropertyDecorator {
  return applyDecorators(
    IsString(options),
    MaxLength(maxLength, options),
    Matches(NO_CONTROL_CHARS, {
      ...options,
      message: '$property must not contain control characters',
    }),
  );
}

export function IsServiceType(options?: ValidationOptions): PropertyDecorator {
  return applyDecorators(
    IsString(options),
    Matches(SERVICE_TYPE, {
      ...options,
      message:
        '$property must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit',
    }),
  );
}

export function isHostname(value: string): boolean {
  return HOSTNAME.test(value) || (IPV6_LITERAL.test(value) && value.includes(':'));
}

export function IsHostname(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isHostname',
      validator: {
        validate: (value) => typeof value === 'string' && isHostname(value),
        defaultMessage: () => '$property must be a host name or an IP address',
      },
    },
    options,
  );
}

/** Exact host name, or `*.example.com`. */
export function IsHostPattern(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isHostPattern',
      validator: {
        validate: (value) =>
          typeof value === 'string' &&
          (isHostname(value) || (value.startsWith('*.') && HOSTNAME.test(value.slice(2)))),
        defaultMessage: () => '$property must be a host name or a wildcard like *.example.com',
      },
    },
    options,
  );
}

/** An absolute http(s) URL with a host, no credentials and no fragment. */
export function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 2048 || !NO_CONTROL_CHARS.test(value))
    return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.hostname.length > 0 &&
    url.username === '' &&
    url.password === '' &&
    url.hash === '' &&
    !value.includes('#')
  );
}

export function IsHttpUrl(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isHttpUrl',
      validator: {
        validate: isHttpUrl,
        defaultMessage: () =>
          '$property must be an absolute http or https URL without credentials or fragment',
      },
    },
    options,
  );
}

export function isRoutePath(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) return false;
  if (!value.startsWith('/')) return false;
  const segments = value.split('/').filter((s) => s.length > 0);
  return segments.every((s) => PATH_SEGMENT.test(s) && s !== '.' && s !== '..');
}

export function IsRoutePath(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isRoutePath',
      validator: {
        validate: isRoutePath,
        defaultMessage: () =>
          '$property must start with "/", be at most 256 characters, use "*" only as a whole segment and contain no "." or ".." segments',
      },
    },
    options,
  );
}

interface StringMapLimits {
  maxEntries: number;
  maxKeyLength: number;
  maxValueLength: number;
  keyPattern?: RegExp;
}

export function isStringMap(value: unknown, limits: StringMapLimits): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  return (
    entries.length <= limits.maxEntries &&
    entries.every(
      ([key, item]) =>
        key.length > 0 &&
        key.length <= limits.maxKeyLength &&
        (limits.keyPattern ? limits.keyPattern.test(key) : NO_CONTROL_CHARS.test(key)) &&
        typeof item === 'string' &&
        item.length <= limits.maxValueLength &&
        NO_CONTROL_CHARS.test(item),
    )
  );
}

export function IsStringMap(
  limits: StringMapLimits,
  options?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStringMap',
      validator: {
        validate: (value) => isStringMap(value, limits),
        defaultMessage: () =>
          `$property must be an object of at most ${limits.maxEntries} string values (keys up to ${limits.maxKeyLength}, values up to ${limits.maxValueLength} printable characters)`,
      },
    },
    options,
  );
}

/** Turns a duration into milliseconds before validation; leaves anything else for the error. */
export function IsDuration(
  bounds: { minMs: number; maxMs: number },
  options?: ValidationOptions,
): PropertyDecorator {
  return applyDecorators(
    Transform(({ value }) => parseDuration(value) ?? value),
    ValidateBy(
      {
        name: 'isDuration',
        validator: {
          validate: (value) =>
            typeof value === 'number' && value >= bounds.minMs && value <= bounds.maxMs,
          defaultMessage: () =>
            `$property must be a duration (250ms, 5s, 2m or whole milliseconds) from ${bounds.minMs}ms to ${bounds.maxMs}ms`,
        },
      },
      options,
    ),
  );
}

/** Accepts `3000` and `"3000"` alike: existing clients send ports as strings. */
export function ToIntegerIfNumeric(): PropertyDecorator {
  return Transform(({ value }) =>
    typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value,
  );
}

/** Flattens nested class-validator errors into `path: message` lines. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): string[] {
  const lines: string[] = [];
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    for (const message of Object.values(error.constraints ?? {})) {
      // class-validator writes the bare property name; the full path tells which one.
      lines.push(
        message.startsWith(error.property)
          ? path + message.slice(error.property.length)
          : `${path}: ${message}`,
      );
    }
    if (error.children?.length) lines.push(...flattenValidationErrors(error.children, path));
  }
  return lines;
}

/** Distinct valid query strings remembered per query DTO before the memory starts over. */
const KNOWN_QUERIES = 1_000;

/**
 * Every validator here is synchronous, so validation need not pay for a promise per rule: measured,
 * class-validator's async `validate` took 76 µs for a registration body where `validateSync` took 31.
 *
 * A query's answer depends on its text alone, and clients poll with the same few queries: a valid
 * one is validated once and its (frozen) result handed out again — on discovery reads validation
 * was a sixth of the time. An invalid query is never remembered, so hostile input costs what it
 * did and fills nothing.
 */
class SyncValidationPipe extends ValidationPipe {
  private readonly knownQueries = new Map<unknown, Map<string, unknown>>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'query' || !this.toValidate(metadata) || typeof value !== 'object') {
      return super.transform(value, metadata);
    }
    const text = JSON.stringify(value);
    let known = this.knownQueries.get(metadata.metatype);
    const remembered = known?.get(text);
    if (remembered !== undefined) return remembered;
    const result = Object.freeze(await super.transform(value, metadata));
    if (!known) this.knownQueries.set(metadata.metatype, (known = new Map()));
    if (known.size >= KNOWN_QUERIES) known.clear();
    known.set(text, result);
    return result;
  }

  /**
   * Nest looks for Buffers and typed arrays (socket.io attachments) in every nested property, asking
   * class-validator's metadata storage again on each call. Admin input is JSON.parse's output,
   * query strings and path parameters: never binary, so the look would never find anything.
   */
  protected override findNestedBinaryValues(): ValidationError[] {
    return [];
  }

  /** Nor can it hold a sparse array, whose gaps Nest would close in place first. */
  protected override closeArrayGaps(): void {}

  /** A valid value is told so by its DTO's kept plan; class-validator writes the errors of the rest. */
  protected override validate(object: object, options?: ValidatorOptions): ValidationError[] {
    if (verdictOf(object) === true) return [];
    return validateSync(object, options);
  }
}

/** What the global pipe asks of class-validator; validation-plan.ts gives the same verdicts for it. */
export const PIPE_VALIDATOR_OPTIONS = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  stopAtFirstError: true,
  validationError: { target: false, value: false },
} as const satisfies ValidatorOptions;

/** The global pipe: unknown fields are errors, values are transformed, a 400 names the field. */
export function createValidationPipe(): ValidationPipe {
  return new SyncValidationPipe({
    ...PIPE_VALIDATOR_OPTIONS,
    transform: true,
    exceptionFactory: (errors) => {
      const lines = flattenValidationErrors(errors);
      return new AppError('VALIDATION_FAILED', lines[0] ?? 'invalid input', lines);
    },
  });
}
