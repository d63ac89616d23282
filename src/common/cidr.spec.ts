import { CidrList, normalizeAddress } from './cidr';

describe(CidrList.name, () => {
  const list = new CidrList(['127.0.0.1/32', '10.0.0.0/8', 'fd00::/8', '::1']);

  it.each([
    ['127.0.0.1', true],
    ['10.200.3.4', true],
    ['11.0.0.1', false],
    ['::ffff:10.1.2.3', true],
    ['::ffff:192.168.1.1', false],
    ['fd12::1', true],
    ['fe80::1', false],
    ['::1', true],
    ['[::1]', true],
    ['not-an-ip', false],
    [undefined, false],
  ])('%p is inside: %p', (address, expected) => {
    expect(list.contains(address)).toBe(expected);
  });

  it('matches an IPv4-mapped range against plain IPv4 callers', () => {
    expect(new CidrList(['::ffff:192.168.0.0/112']).contains('192.168.4.5')).toBe(true);
  });

  it('contains nothing without ranges', () => {
    expect(new CidrList([]).contains('127.0.0.1')).toBe(false);
  });

  it('normalizes IPv4-mapped addresses to IPv4', () => {
    expect(normalizeAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(normalizeAddress('::1')).toBe('::1');
  });
});
