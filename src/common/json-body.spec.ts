import { AppError } from './errors/app-error';
import { jsonDepth, MAX_JSON_DEPTH, parseJsonBody } from './json-body';

function messageOf(text: string): string {
  try {
    parseJsonBody(text);
    return '';
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).message;
  }
}

describe('parseJsonBody', () => {
  it('parses an object', () => {
    expect(parseJsonBody('{"a":[1,{"b":"}"}]}')).toEqual({ a: [1, { b: '}' }] });
  });

  it('counts depth without being fooled by brackets in strings', () => {
    expect(jsonDepth('{"a":"[[[[[["}')).toBe(1);
    expect(jsonDepth('{"a":"\\"[[["}')).toBe(1);
    expect(jsonDepth('[[[]]]')).toBe(3);
  });

  it.each([
    ['{', 'body is not valid JSON'],
    ['', 'body is empty; send a JSON object'],
    ['[1]', 'body must be a JSON object'],
    ['"text"', 'body must be a JSON object'],
    [
      '{"__proto__":{"admin":true}}',
      'body contains a forbidden __proto__ or constructor.prototype key',
    ],
    [
      '{"constructor":{"prototype":{"x":1}}}',
      'body contains a forbidden __proto__ or constructor.prototype key',
    ],
    ['['.repeat(100_000) + ']'.repeat(100_000), `body nests deeper than ${MAX_JSON_DEPTH} levels`],
  ])('refuses %p', (text, message) => {
    expect(messageOf(text)).toBe(message);
  });
});
