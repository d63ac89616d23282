import { Journal, JournalEntry, LazyJournalEntry } from './journal';

const entry = (index: number, check = false): JournalEntry => ({
  index,
  event: check ? 'healthCheckFailed' : 'instanceRegistered',
  json: `{"index":${index}}`,
  check,
});

describe(Journal.name, () => {
  it('replays the changes after an index, oldest first, and passes every entry to its readers', () => {
    const journal = new Journal(10);
    const read: number[] = [];
    journal.subscribe((e) => read.push(e.index));
    for (const i of [11, 12, 13]) journal.append(entry(i));
    journal.append(entry(13, true));
    expect(journal.since(11, 13)?.map((e) => e.index)).toEqual([12, 13]);
    expect(journal.since(13, 13)).toEqual([]);
    expect(read).toEqual([11, 12, 13, 13]);
  });

  it('holds nothing from before it started, nor indexes from the future', () => {
    const journal = new Journal(10);
    journal.append(entry(11));
    expect(journal.since(10, 11)?.map((e) => e.index)).toEqual([11]);
    expect(journal.since(9, 11)).toBeNull();
    expect(journal.since(12, 11)).toBeNull();
  });

  it('drops the oldest past its size, and can then no longer replay from before them', () => {
    const journal = new Journal(0, 3);
    for (const i of [1, 2, 3, 4, 5]) journal.append(entry(i));
    expect(journal.since(2, 5)?.map((e) => e.index)).toEqual([3, 4, 5]);
    expect(journal.since(1, 5)).toBeNull();
  });

  it('keeps check results out of the replay', () => {
    const journal = new Journal(0);
    journal.append(entry(1));
    journal.append(entry(1, true));
    expect(journal.since(0, 1)).toHaveLength(1);
  });
});

describe(LazyJournalEntry.name, () => {
  it('writes its JSON only when first read, once, with its index first', () => {
    const data = jest.fn(() => ({ instance: { id: 'a' }, reason: 'operator' }));
    const journal = new Journal(0);
    const lazy = new LazyJournalEntry(7, 'instanceUpdated', data, false);
    journal.append(lazy);
    expect(data).not.toHaveBeenCalled();
    const [replayed] = journal.since(0, 7) ?? [];
    expect(replayed?.json).toBe('{"index":7,"instance":{"id":"a"},"reason":"operator"}');
    expect(lazy.json).toBe(replayed?.json);
    expect(data).toHaveBeenCalledTimes(1);
  });
});
