import { parseDuration } from './duration';

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
});
