export { WaypostHealthIndicator } from './waypost.health';
