/**
 * A place in the configuration (`build.cmd`, `watch.include[2]`) and how messages show it. Apart from
 * yaml-position.ts, which needs the yaml parser: a run without a config file never loads it.
 */
export type ConfigPath = ReadonlyArray<string | number>;

/** `build.cmd`, `watch.include[2]`, `run.env["A.B"]`; `(top level)` for the empty path. */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(top level)' : out;
}
