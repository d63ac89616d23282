import { DueQueue } from './due-queue';

describe(DueQueue.name, () => {
  it('hands out ids in due order, only once due', () => {
    const queue = new DueQueue();
    queue.schedule('b', 20);
    queue.schedule('a', 10);
    queue.schedule('c', 30);
    expect(queue.peekDue()).toBe(10);
    expect(queue.popDue(5)).toBeNull();
    expect(queue.popDue(25)).toBe('a');
    expect(queue.popDue(25)).toBe('b');
    expect(queue.popDue(25)).toBeNull();
    expect(queue.size).toBe(1);
  });

  it('keeps one live entry per id: rescheduling and removal leave nothing behind', () => {
    const queue = new DueQueue();
    queue.schedule('a', 10);
    queue.schedule('a', 50);
    queue.schedule('b', 20);
    queue.remove('b');
    expect(queue.popDue(100)).toBe('a');
    expect(queue.popDue(100)).toBeNull();
    expect(queue.size).toBe(0);
    expect(queue.peekDue()).toBeNull();
  });

  it('stays small under many reschedules', () => {
    const queue = new DueQueue();
    for (let round = 0; round < 100; round++)
      for (let i = 0; i < 100; i++) queue.schedule(`i${i}`, round * 1000 + i);
    expect(queue.size).toBe(100);
    expect((queue as unknown as { heap: unknown[] }).heap.length).toBeLessThanOrEqual(
      4 * 100 + 100,
    );
  });
});
