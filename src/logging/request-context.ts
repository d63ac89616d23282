import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The id of the admin request being handled, so that a line Nest's Logger writes while handling
 * it (a guard, a service, the exception filter) carries `reqId` without each caller passing it.
 */
export const requestContext = new AsyncLocalStorage<string>();
