import { Inject } from '@nestjs/common';

/** The `Waypost` client of the app. */
export const WAYPOST = Symbol('WAYPOST');
export const WAYPOST_OPTIONS = Symbol('WAYPOST_OPTIONS');

/** Injects the app's `Waypost` client: `constructor(@InjectWaypost() waypost: Waypost)`. */
export const InjectWaypost = (): ParameterDecorator => Inject(WAYPOST);
