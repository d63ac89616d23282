import { ChangeFeed } from './change-feed';

describe(ChangeFeed.name, () => {
  afterEach(() => jest.useRealTimers());

  it('starts where the store left off and moves with each commit', () => {
    const feed = new ChangeFeed(41, { users: 40 });
    expect([feed.index, feed.indexOf('users'), feed.indexOf('other')]).toEqual([41, 40, 0]);
    feed.publish(42, []);
    expect([feed.index, feed.indexOf('users')]).toEqual([42, 40]);
    feed.publish(43, ['users']);
    expect(feed.indexOf('users')).toBe(43);
  });

  it('calls only the subscribers of the services a commit touched', () => {
    const feed = new ChangeFeed();
    const users = jest.fn();
    const orders = jest.fn();
    const unsubscribe = feed.subscribe('users', users);
    feed.subscribe('orders', orders);
    feed.publish(1, ['users']);
    expect(users).toHaveBeenCalledWith(1);
    expect(orders).not.toHaveBeenCalled();
    unsubscribe();
    feed.publish(2, ['users']);
    expect(users).toHaveBeenCalledTimes(1);
    expect(feed.subscriberCount('users')).toBe(0);
    expect(feed.subscriberCount()).toBe(1);
  });

  it('answers a wait at once when the service changed after the index', async () => {
    const feed = new ChangeFeed(5, { users: 5 });
    await expect(feed.changeAfter('users', 4, 60_000)).resolves.toBe(5);
  });

  it("answers a wait on the service's next change, not on another service's", async () => {
    jest.useFakeTimers();
    const feed = new ChangeFeed(5, { users: 5 });
    const waiting = feed.changeAfter('users', 5, 60_000);
    feed.publish(6, ['orders']);
    feed.publish(7, ['users']);
    await expect(waiting).resolves.toBe(7);
    expect(feed.subscriberCount()).toBe(0);
  });

  it('answers null when the wait runs out, or at once on close', async () => {
    jest.useFakeTimers();
    const feed = new ChangeFeed();
    const timedOut = feed.changeAfter('users', 0, 1_000);
    jest.advanceTimersByTime(1_000);
    await expect(timedOut).resolves.toBeNull();
    const pending = feed.changeAfter('users', 0, 60_000);
    feed.close();
    await expect(pending).resolves.toBeNull();
    await expect(feed.changeAfter('users', 0, 60_000)).resolves.toBeNull();
    expect(feed.subscriberCount()).toBe(0);
  });
});
