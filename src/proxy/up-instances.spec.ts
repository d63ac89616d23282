import { GatewayView, UpInstances } from './up-instances';

const instance = (id: string, overrides: Partial<GatewayView> = {}): GatewayView => ({
  id,
  serviceType: 'shop',
  status: 'UP',
  url: `http://10.0.0.${id}:80`,
  weight: 1,
  zone: null,
  ...overrides,
});

/** A registry of these instances, for the services UpInstances takes in when first asked. */
function registry(...instances: GatewayView[]) {
  return (serviceType: string) => instances.filter((i) => i.serviceType === serviceType);
}

describe(UpInstances.name, () => {
  it('lists only UP instances, as they come, change and go', () => {
    const up = new UpInstances(registry());
    expect(up.of('shop')).toEqual([]);
    up.put(instance('1'));
    up.put(instance('2'));
    up.put(instance('3', { status: 'UNKNOWN' }));
    const ids = () => up.of('shop').map((u) => u.id);
    expect(ids()).toEqual(['1', '2']);
    up.put(instance('3'));
    up.put(instance('1', { status: 'DOWN' }));
    expect(ids()).toEqual(['2', '3']);
    up.put(instance('2', { status: 'MAINTENANCE' }));
    up.remove('shop', '3');
    expect(ids()).toEqual([]);
    expect(up.of('nobody')).toEqual([]);
  });

  it('hands out the same list until something the gateway uses changes', () => {
    const up = new UpInstances(registry());
    up.of('shop');
    up.put(instance('1'));
    const first = up.of('shop');
    // A passed health check changes nothing here.
    up.put(instance('1'));
    expect(up.of('shop')).toBe(first);
    up.put(instance('1', { weight: 3 }));
    const second = up.of('shop');
    expect(second).not.toBe(first);
    expect(second[0]).toMatchObject({ weight: 3, origin: 'http://10.0.0.1', basePath: '' });
  });

  it('keeps each service apart', () => {
    const up = new UpInstances(registry());
    up.of('shop');
    up.of('cart');
    up.put(instance('1'));
    up.put(instance('2', { serviceType: 'cart' }));
    expect(up.of('shop').map((u) => u.id)).toEqual(['1']);
    expect(up.of('cart').map((u) => u.id)).toEqual(['2']);
  });

  it('holds nothing for a service until asked, then takes its UP instances from the registry and follows it', () => {
    const up = new UpInstances(
      registry(
        instance('1'),
        instance('2', { status: 'DOWN' }),
        instance('3', { serviceType: 'cart' }),
      ),
    );
    // Events of a service nobody asked for are not kept...
    up.put(instance('4'));
    // ...the registry as it is when asked is the truth: its UP instances of that service only.
    expect(up.of('shop').map((u) => u.id)).toEqual(['1']);
    up.put(instance('5'));
    up.put(instance('1', { status: 'DOWN' }));
    expect(up.of('shop').map((u) => u.id)).toEqual(['5']);
    up.remove('shop', '5');
    expect(up.of('shop')).toEqual([]);
    up.put(instance('6'));
    expect(up.of('shop').map((u) => u.id)).toEqual(['6']);
  });
});
