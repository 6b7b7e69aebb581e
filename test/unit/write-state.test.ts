import { describe, expect, it } from 'vitest';
import { writeComplete } from '../../src/watch/native/helper/link.js';

/** inotify masks (linux/inotify.h). */
const IN = {
  MODIFY: 0x2,
  ATTRIB: 0x4,
  CLOSE_WRITE: 0x8,
  MOVED_FROM: 0x40,
  MOVED_TO: 0x80,
  CREATE: 0x100,
  DELETE: 0x200,
  ISDIR: 0x40000000,
};

describe('writeComplete: a file write as an inotify event leaves it', () => {
  it('closed or renamed into place: done', () => {
    expect(writeComplete(IN.CLOSE_WRITE)).toBe(true);
    expect(writeComplete(IN.MOVED_TO)).toBe(true);
    expect(writeComplete(IN.MODIFY | IN.CLOSE_WRITE)).toBe(true); // merged: the close came last
  });

  it('written, or created as a file, not closed: under way (a writer has it open)', () => {
    expect(writeComplete(IN.MODIFY)).toBe('writing');
    expect(writeComplete(IN.CREATE)).toBe('writing'); // open(O_CREAT): `go run ./gen > new_gen.go`
    expect(writeComplete(IN.CREATE | IN.CLOSE_WRITE)).toBe(true);
  });

  it('deleted or moved away, or a directory created: a replacement may be under way, no writer to wait for', () => {
    for (const m of [IN.DELETE, IN.MOVED_FROM, IN.CREATE | IN.ISDIR]) expect(writeComplete(m)).toBe(false);
  });

  it('a change of attributes alone says nothing of the content', () => {
    expect(writeComplete(IN.ATTRIB)).toBeUndefined();
  });
});
