import { parseLastEventId, sseEvent, withIndex } from './sse';

describe('server-sent events', () => {
  it('frames an event as id, event and one data line, ended by a blank line', () => {
    expect(sseEvent(7, 'update', '{"a":1}')).toBe('id: 7\nevent: update\ndata: {"a":1}\n\n');
  });

  it('puts the index in front of a discovery answer', () => {
    expect(JSON.parse(withIndex('{"serviceType":"users","instances":[]}', 9))).toEqual({
      index: 9,
      serviceType: 'users',
      instances: [],
    });
  });

  it('reads Last-Event-ID as whole digits only', () => {
    expect(parseLastEventId(undefined)).toBeNull();
    expect(parseLastEventId('42')).toBe(42);
    for (const bad of ['', '-1', '4.2', 'abc', '1'.repeat(16), ['1', '2']])
      expect(parseLastEventId(bad)).toBeNaN();
  });
});
