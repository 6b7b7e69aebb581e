/**
 * One directory's entries through the tree rules, for the arming walk (tree-armer.ts), whether node read
 * the directory (fs.Dirent) or the inotify helper did (its listing's type letters): subdirectories to
 * descend, symlinks checked (a directory outside the root is reported, never followed), relevant regular
 * files listed; FIFOs, sockets and devices ignored. The rules stay here, in one place, for both readers.
 */
import path from 'node:path';
import type { EntryKind, TreeRules } from './rules.js';

export interface EntrySinks {
  /** Subdirectories found (the walk arms them next; the rules' descend() is asked there). */
  next: string[];
  /** Relevant files and symlinks of newly armed dirs (they may have been written before the watch existed). */
  out: string[] | undefined;
  /** Relevant regular files (the start's listing: the snapshot's seed). */
  files: string[] | undefined;
}

/** The helper's type letters (main.go): d dir, f regular file, l symlink, anything else 'other'. */
export function kindOfLetter(letter: string): EntryKind {
  return letter === 'd' ? 'dir' : letter === 'f' ? 'file' : letter === 'l' ? 'symlink' : 'other';
}

/**
 * Takes the entries of `dir` (absolute, normalized) one at a time: what the directory decides about its
 * files (excluded, include-only) is decided once, and a path string is made only for what is kept.
 */
export function entriesOf(rules: TreeRules, dir: string, to: EntrySinks): (kind: EntryKind, name: string) => void {
  // Concatenated, not path.join'ed (100,000 times at start): the dir is normalized and a name holds no separator.
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  const relevant = rules.filter.filesIn(dir);
  return (kind, name) => {
    if (kind === 'dir') to.next.push(prefix + name);
    else if (kind === 'symlink') {
      const p = prefix + name;
      rules.symlink(p);
      if (to.out && relevant(name)) to.out.push(p);
    } else if (kind === 'file' && (to.out || to.files) && relevant(name)) {
      // Joined, not concatenated: a kept path is one flat string, not a rope of two (50,000 ropes on the
      // benchmark's tree were 1.5 MB more heap while the start's file list lives).
      const p = [prefix, name].join('');
      to.out?.push(p);
      to.files?.push(p);
    }
  };
}
