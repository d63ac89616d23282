/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are whatever the server sent */
import { request } from 'undici';
/** Small JSON-over-HTTP client for the tests: real requests, status, headers and parsed body. */
export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export async function call<T = any>(
  method: string,
  url: string,
  options: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(url, { method, headers, body });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}

export const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
export const instanceHeaders = (id: string, token: string) => ({
  'x-service-id': id,
  'x-service-token': token,
});

/**
 * GET or any bodiless request through undici's `request`, which, unlike fetch, may set Host: the
 * gateway routes by it.
 */
export async function send<T = any>(
  method: string,
  url: string,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const response = await request(url, { method: method as 'GET', headers });
  const text = await response.body.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  const fetchHeaders = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (typeof value === 'string') fetchHeaders.set(name, value);
  }
  return { status: response.statusCode, headers: fetchHeaders, body: parsed as T, text };
}
