/**
 * One directory's entries through the tree rules, for the arming walk (tree-armer.ts), whether node read
 * the directory (fs.Dirent) or the inotify helper did (its listing's type letters): subdirectories to
 * descend, symlinks checked (a directory outside the root is reported, never followed), relevant regular
 * files listed; FIFOs, sockets and devices ignored. The rules stay here, in one place, for both readers.
 */
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

/** Takes one entry `name` of kind `kind` in the directory whose path ends in a separator (`prefix`). */
export function takeEntry(rules: TreeRules, prefix: string, kind: EntryKind, name: string, to: EntrySinks): void {
  // Concatenated, not path.join'ed (100,000 times at start): the dir is normalized and a name holds no separator.
  if (kind === 'dir') to.next.push(prefix + name);
  else if (kind === 'symlink') {
    const p = prefix + name;
    rules.symlink(p);
    if (to.out && rules.filter.isRelevantFile(p)) to.out.push(p);
  } else if (kind === 'file' && (to.out || to.files)) {
    const p = prefix + name;
    if (!rules.filter.isRelevantFile(p)) return;
    to.out?.push(p);
    to.files?.push(p);
  }
}
