import { InstanceRecord } from '../../model/instance';
import { RouteRecord } from '../../model/route';
import { LocalCommit } from './local-commit';
import {
  RegistrySnapshot,
  RegistryStore,
  StoreChange,
  StoreFeed,
  StoreGuard,
  StoreUnavailableError,
} from './registry-store';

/** STORE=memory: the same contract as sqlite, lost when the process ends. */
export class MemoryRegistryStore implements RegistryStore {
  private readonly instances = new Map<string, InstanceRecord>();
  private readonly routes = new Map<string, RouteRecord>();
  private index = 0;
  private readonly serviceIndexes: Record<string, number> = {};
  private readonly local = new LocalCommit();
  private closed = false;

  load(): Promise<RegistrySnapshot> {
    return Promise.resolve(
      this.local.loaded({
        instances: structuredClone([...this.instances.values()]),
        routes: structuredClone([...this.routes.values()]),
        index: this.index,
        serviceIndexes: { ...this.serviceIndexes },
      }),
    );
  }

  follow(feed: StoreFeed): void {
    this.local.follow(feed);
  }

  commit(
    changes: readonly StoreChange[],
    guards: readonly StoreGuard[],
    services: readonly string[],
  ): Promise<number> {
    try {
      if (this.closed) throw new StoreUnavailableError('the memory store is closed');
      const revision = this.local.prepare(guards);
      // Copies are taken before anything is applied, so a failing clone leaves the store untouched.
      const copies = changes.map((change) => structuredClone(change));
      for (const change of copies) {
        switch (change.op) {
          case 'putInstance':
            this.instances.set(change.instance.id, change.instance);
            break;
          case 'deleteInstance':
            this.instances.delete(change.id);
            break;
          case 'putRoute':
            this.routes.set(change.route.id, change.route);
            break;
          case 'deleteRoute':
            this.routes.delete(change.id);
            break;
        }
      }
      this.index = revision;
      for (const service of services) this.serviceIndexes[service] = revision;
      return Promise.resolve(this.local.committed(changes, revision));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  ping(): boolean {
    return !this.closed;
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
