/**
 * A config whose `go build` runs every tool through a wrapper that never ends by itself: the wrapper says
 * it runs (a line in `started`), then waits on a child of its own (`sleep 120`). A test can then stop
 * hotwatch, or make its start-up fail, while the build and its tools are running, and check that none of
 * them is left. Written in `<moduleDir>.tools`, outside the module (never watched).
 */
import fs from 'node:fs';
import path from 'node:path';

export function slowToolsConfig(moduleDir: string): { outside: string; started: string; config: string } {
  const outside = path.join(path.dirname(moduleDir), `${path.basename(moduleDir)}.tools`);
  fs.mkdirSync(outside);
  const started = path.join(outside, 'started');
  const wrapper = path.join(outside, 'slow-tool.sh');
  fs.writeFileSync(wrapper, `#!/bin/sh\necho $$ >> '${started}'\nsleep 120 &\nwait $!\nexec "$@"\n`, { mode: 0o755 });
  const config = path.join(outside, 'hw.yaml');
  fs.writeFileSync(config, `root: ${JSON.stringify(moduleDir)}\nbuild:\n  flags: ["-toolexec", ${JSON.stringify(wrapper)}]\n`);
  return { outside, started, config };
}
