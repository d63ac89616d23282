import sjson from 'secure-json-parse';
import { AppError } from './errors/app-error';

export const MAX_JSON_DEPTH = 32;

/** Deepest nesting of objects and arrays in JSON text, counted without parsing (no recursion). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/**
 * Parses a request body: refuses deep nesting before anything walks it, and `__proto__` or
 * `constructor.prototype` keys (prototype poisoning) instead of silently dropping them.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new AppError('INVALID_JSON', 'body is empty; send a JSON object');
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new AppError('INVALID_JSON', `body nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let parsed: unknown;
  try {
    parsed = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    const poisoned = /prototype/i.test((error as Error).message);
    throw new AppError(
      'INVALID_JSON',
      poisoned
        ? 'body contains a forbidden __proto__ or constructor.prototype key'
        : 'body is not valid JSON',
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AppError('VALIDATION_FAILED', 'body must be a JSON object');
  }
  return parsed;
}
