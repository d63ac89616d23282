import { Provider } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { storeConfig } from '../../config/config.namespaces';
import { MemoryRegistryStore } from './memory.store';
import { REGISTRY_STORE, RegistryStore } from './registry-store';
import { SqliteRegistryStore } from './sqlite.store';

/** The only place that knows which store is in use. */
export const registryStoreProvider: Provider = {
  provide: REGISTRY_STORE,
  inject: [storeConfig.KEY],
  useFactory: (store: ConfigType<typeof storeConfig>): RegistryStore =>
    store.kind === 'sqlite' ? new SqliteRegistryStore(store.dataDir) : new MemoryRegistryStore(),
};
