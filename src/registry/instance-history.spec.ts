import { HISTORY_SIZE, InstanceHistory } from './instance-history';

const line = (n: number) => ({
  at: `t${n}`,
  from: 'UP',
  to: 'DOWN',
  reason: 'check',
  detail: `e${n}`,
});

describe(InstanceHistory.name, () => {
  it("keeps each instance's last entries, newest first, bounded", () => {
    const history = new InstanceHistory();
    for (let n = 0; n < HISTORY_SIZE + 5; n++) history.record('a', line(n));
    history.record('b', line(0));
    const a = history.of('a');
    expect(a).toHaveLength(HISTORY_SIZE);
    expect(a[0].detail).toBe(`e${HISTORY_SIZE + 4}`);
    expect(a[HISTORY_SIZE - 1].detail).toBe('e5');
    expect(history.of('b')).toHaveLength(1);
  });

  it('forgets an instance that goes', () => {
    const history = new InstanceHistory();
    history.record('a', line(1));
    history.forget('a');
    expect(history.of('a')).toEqual([]);
  });
});
