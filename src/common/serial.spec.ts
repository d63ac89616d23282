import { Serial } from './serial';

describe('Serial', () => {
  it('starts each task after the one before has settled, failed ones included', async () => {
    const serial = new Serial();
    const events: string[] = [];
    let releaseFirst!: () => void;
    const first = serial.run(async () => {
      events.push('first starts');
      await new Promise<void>((resolve) => (releaseFirst = resolve));
      events.push('first ends');
      throw new Error('first fails');
    });
    const second = serial.run(async () => {
      events.push('second starts');
      return 2;
    });
    await Promise.resolve();
    await Promise.resolve();
    expect(events).toEqual(['first starts']);
    releaseFirst();
    await expect(first).rejects.toThrow('first fails');
    await expect(second).resolves.toBe(2);
    expect(events).toEqual(['first starts', 'first ends', 'second starts']);
  });
});
