/**
 * air's commands around the build and its screen clearing → build.steps and build.clear. air's pre_cmd
 * lines run before each build: before-steps (a plain command becomes its argv, anything with shell
 * syntax runs through `sh -c`, as air ran it). air's post_cmd lines run once, when air exits (after
 * Ctrl-C): hotwatch's steps run around builds, never at exit, so they are reported. clear_on_rebuild is
 * build.clear (at a terminal only, as air).
 */
import type { Conv } from './conv.js';

/** The air key in effect for a [build] key: the current platform's block wins. */
const effective = (c: Conv, os: string, key: string): string => (c.has(`build.${os}.${key}`) ? `build.${os}.${key}` : `build.${key}`);

/** A shell line as argv: its words when it is plain words, else `sh -c LINE` (air ran each through a shell). */
export function stepArgv(line: string): string[] {
  const words = line.trim().split(/\s+/);
  return /^[\w@%+=:,./-]+(\s+[\w@%+=:,./-]+)*$/.test(line.trim()) ? words : ['sh', '-c', line];
}

/** pre_cmd → before-steps, post_cmd reported, screen.clear_on_rebuild → build.clear. */
export function convertSteps(c: Conv, os: string): void {
  const pre = effective(c, os, 'pre_cmd');
  const lines = (c.get<string[]>(pre) ?? []).filter((l) => l.trim() !== '');
  if (lines.length > 0) {
    c.set(
      'build.steps',
      lines.map((l) => ({ run: stepArgv(l) })),
    );
    c.note(
      'build.steps',
      `From air's ${pre}: run before each build, in order; one that fails stops the build (air went on to build anyway) and the running app keeps serving. What they write does not trigger another build.`,
    );
  }
  c.map(pre, lines.length > 0 ? 'build.steps (when: before)' : '(empty: nothing to run)');
  const post = effective(c, os, 'post_cmd');
  if ((c.get<string[]>(post) ?? []).length > 0)
    c.drop(
      post,
      'air ran these once, when it exited (after Ctrl-C); hotwatch runs no command at exit (its build.steps run around each build: when: after is after each start, not at exit)',
    );
  else c.map(post, '(empty: nothing to run)');
  const clear = c.get<boolean>('screen.clear_on_rebuild') === true;
  if (clear) {
    c.set('build.clear', true);
    c.note('build.clear', "From air's screen.clear_on_rebuild: the screen is cleared before each build, at a terminal only.");
  }
  c.map('screen.clear_on_rebuild', clear ? 'build.clear' : 'build.clear (false, the default)');
  if (clear && c.get<boolean>('screen.keep_scroll') === true)
    c.drop('screen.keep_scroll', 'build.clear also clears the scrollback (air kept it with keep_scroll)');
  else c.map('screen.keep_scroll', clear ? 'build.clear (clears the scrollback too)' : '(no effect without clear_on_rebuild)');
}
