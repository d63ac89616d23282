import { Provider } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { storeConfig } from '../../config/config.namespaces';
import { FleetService } from '../../fleet/fleet.service';
import { EtcdRegistryStore } from './etcd.store';
import { MemoryRegistryStore } from './memory.store';
import { REGISTRY_STORE, RegistryStore } from './registry-store';
import { SqliteRegistryStore } from './sqlite.store';

/** The only place that knows which store is in use. */
export const registryStoreProvider: Provider = {
  provide: REGISTRY_STORE,
  inject: [storeConfig.KEY, FleetService],
  useFactory: (store: ConfigType<typeof storeConfig>, fleet: FleetService): RegistryStore => {
    switch (store.kind) {
      case 'sqlite':
        return new SqliteRegistryStore(store.dataDir);
      case 'memory':
        return new MemoryRegistryStore();
      case 'etcd':
        return new EtcdRegistryStore(fleet);
    }
  },
};
