import { TurnBatch } from './turn-batch';

describe('TurnBatch', () => {
  let clock: number;
  let handed: string[][];

  beforeEach(() => {
    jest.useFakeTimers();
    clock = 0;
    handed = [];
  });

  afterEach(() => jest.useRealTimers());

  const batch = (minGapMs = 0) =>
    new TurnBatch<string>(
      (items) => handed.push(items),
      minGapMs,
      () => clock,
    );

  it('hands over what arrived in one turn together, after the turn', () => {
    const turn = batch();
    turn.add('a');
    turn.add('b');
    expect(handed).toEqual([]);
    jest.advanceTimersByTime(0);
    expect(handed).toEqual([['a', 'b']]);
  });

  it('without a gap, hands over each later turn at its own end', () => {
    const turn = batch();
    turn.add('a');
    jest.advanceTimersByTime(0);
    turn.add('b');
    jest.advanceTimersByTime(0);
    expect(handed).toEqual([['a'], ['b']]);
  });

  it('with a gap, a turn soon after a hand-over waits for the gap and takes what came meanwhile', () => {
    const turn = batch(1);
    turn.add('a');
    jest.advanceTimersByTime(0);
    clock = 0.3;
    turn.add('b');
    jest.advanceTimersByTime(0);
    expect(handed).toEqual([['a']]);
    clock = 0.6;
    turn.add('c');
    clock = 1;
    jest.advanceTimersByTime(1);
    expect(handed).toEqual([['a'], ['b', 'c']]);
  });

  it('with a gap, the first turn after a pause waits for nothing more than the turn', () => {
    const turn = batch(1);
    turn.add('a');
    jest.advanceTimersByTime(0);
    clock = 5;
    turn.add('b');
    jest.advanceTimersByTime(0);
    expect(handed).toEqual([['a'], ['b']]);
  });

  it('drain hands over at once what waits, and nothing when nothing does', () => {
    const turn = batch(1);
    turn.add('a');
    jest.advanceTimersByTime(0);
    turn.add('b');
    turn.drain();
    expect(handed).toEqual([['a'], ['b']]);
    jest.advanceTimersByTime(5);
    expect(handed).toEqual([['a'], ['b']]);
  });
});
