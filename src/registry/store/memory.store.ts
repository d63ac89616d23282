import { InstanceRecord } from '../../model/instance';
import { RouteRecord } from '../../model/route';
import { IndexMark, RegistrySnapshot, RegistryStore, StoreChange } from './registry-store';

/** STORE=memory: the same contract as sqlite, lost when the process ends. */
export class MemoryRegistryStore implements RegistryStore {
  private readonly instances = new Map<string, InstanceRecord>();
  private readonly routes = new Map<string, RouteRecord>();
  private index = 0;
  private readonly serviceIndexes: Record<string, number> = {};
  private closed = false;

  load(): RegistrySnapshot {
    return {
      instances: structuredClone([...this.instances.values()]),
      routes: structuredClone([...this.routes.values()]),
      index: this.index,
      serviceIndexes: { ...this.serviceIndexes },
    };
  }

  commit(changes: readonly StoreChange[], mark: IndexMark): void {
    if (this.closed) throw new Error('the memory store is closed');
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
    this.index = mark.index;
    for (const service of mark.services) this.serviceIndexes[service] = mark.index;
  }

  ping(): boolean {
    return !this.closed;
  }

  close(): void {
    this.closed = true;
  }
}
