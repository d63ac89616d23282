export { WaypostModule } from './waypost.module';
export { InjectWaypost, WAYPOST } from './tokens';
export type { WaypostModuleOptions, WaypostModuleAsyncOptions } from './options';
