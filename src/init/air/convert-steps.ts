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

/**
 * A shell line as argv: its words when it is plain words, else `sh -c LINE` (air ran each through a
 * shell). A line that starts with `VAR=value` sets that variable for the command: the shell's syntax too
 * (as argv its program would be `VAR=value`).
 */
export function stepArgv(line: string): string[] {
  const words = line.trim().split(/\s+/);
  const plain = /^[\w@%+=:,./-]+(\s+[\w@%+=:,./-]+)*$/.test(line.trim()) && !/^[A-Za-z_]\w*=/.test(words[0] ?? '');
  return plain ? words : ['sh', '-c', line];
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
  const background = lines.filter((l) => /&\s*$/.test(l) && !/&&\s*$/.test(l));
  if (background.length > 0)
    c.differs(
      pre,
      `${background.map((l) => JSON.stringify(l)).join(', ')} runs in the background (&): air left it running; hotwatch stops what a step leaves behind once the step ends, so it would be stopped at every build. Run that watcher (tailwindcss --watch, npm run dev) on its own, beside hotwatch, and drop it from build.steps`,
    );
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
