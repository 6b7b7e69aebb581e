/** HOTWATCH_TEST_FAULTS parsing: read only when set, every bad item is an error (never ignored). */
import { describe, expect, it } from 'vitest';
import { parseFaults } from '../../src/watch/watchdog/faults.js';

describe('parseFaults', () => {
  it('unset → no faults; empty → none injected', () => {
    expect(parseFaults(undefined)).toBeUndefined();
    expect(parseFaults('')).toEqual({});
  });

  it('names, durations and counts', () => {
    expect(parseFaults('deafen-after=2s')).toEqual({ deafenAfterMs: 2000 });
    expect(parseFaults(' hang-after = 500ms , rearm-fails=3 ')).toEqual({ hangAfterMs: 500, rearmFails: 3 });
    expect(parseFaults('drop-events=lost')).toEqual({ dropEventsNamed: 'lost' });
  });

  it('an unknown name, a missing value, a bad duration or count: exit-2 errors that name the variable', () => {
    for (const bad of [
      'deafen',
      'deafen-after=soon',
      'deafen-after=3',
      'rearm-fails=-1',
      'rearm-fails=1.5',
      'explode=1s',
      'drop-events=',
      'drop-events=a/b',
    ]) {
      let err: unknown;
      try {
        parseFaults(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toMatchObject({ code: 'FLAG_INVALID', exitCode: 2, message: expect.stringMatching(/^HOTWATCH_TEST_FAULTS: /) });
    }
  });
});
