import { formatDuration, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['250ms', 250],
    ['5s', 5_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1.5s', 1_500],
    ['750', 750],
    [750, 750],
    [0, 0],
  ])('reads %p as %p ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([
    ['abc'],
    ['5 seconds'],
    ['-1s'],
    ['1.5'],
    [-5],
    [1.5],
    [null],
    [{}],
    ['9'.repeat(40)],
    ['5d'],
  ])('refuses %p', (input) => {
    expect(parseDuration(input)).toBeNull();
  });

  it('formats back to the shortest exact unit', () => {
    expect(formatDuration(120_000)).toBe('2m');
    expect(formatDuration(1_500)).toBe('1500ms');
    expect(formatDuration(10_000)).toBe('10s');
  });
});
