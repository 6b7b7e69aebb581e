/**
 * The main package renamed while hotwatch runs (`git mv cmd/app cmd/server`, a normal refactor): every
 * build then fails with go's "stat …/cmd/app: directory not found" alone. The failure now says where the
 * package comes from and the main packages there are now, and the fix it gives works when applied.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { goMain, hotwatchSession, startHotwatch } from '../helpers/hotwatch.js';

describe('the main package moved while hotwatch runs (e2e)', () => {
  const session = hotwatchSession((dir) => {
    fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/moved\n\ngo 1.22\n');
    fs.mkdirSync(path.join(dir, 'cmd', 'app'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'cmd', 'app', 'main.go'), goMain('v1'));
    fs.writeFileSync(path.join(dir, 'watcher.config.yaml'), 'build:\n  package: ./cmd/app\n');
  });

  it('the failure names build.package and the main package there is now; setting it serves the moved code', async () => {
    const hw = (session.hw = startHotwatch([], { cwd: session.dir, env: { PORT: String(session.port) } }));
    await session.serves('v1');
    fs.renameSync(path.join(session.dir, 'cmd', 'app'), path.join(session.dir, 'cmd', 'server'));
    const failed = await hw.waitForLog((l) => l.event === 'build.failed', 'the build of the gone package fails');
    expect(failed.msg).toContain(
      'fix: the main package ./cmd/app (build.package, or --package) is gone (moved or renamed?): main packages under the root now: ./cmd/server. ' +
        'Run hotwatch again with --package ./cmd/server, or, without --package, set build.package: ./cmd/server in the config (applied at once)',
    );
    await session.serves('v1'); // the previous version keeps serving
    fs.writeFileSync(path.join(session.dir, 'cmd', 'server', 'main.go'), goMain('v2'));
    fs.writeFileSync(path.join(session.dir, 'watcher.config.yaml'), 'build:\n  package: ./cmd/server\n');
    await session.serves('v2');
  }, 120_000);

  it('main.go moved out of the root (mv main.go cmd/server/): the same fix, not go\'s bare "no Go files in"', async () => {
    const dir = session.dir;
    fs.rmSync(path.join(dir, 'watcher.config.yaml'));
    fs.renameSync(path.join(dir, 'cmd', 'app', 'main.go'), path.join(dir, 'main.go'));
    const hw = (session.hw = startHotwatch([], { cwd: dir, env: { PORT: String(session.port) } }));
    await session.serves('v1');
    fs.mkdirSync(path.join(dir, 'cmd', 'server'), { recursive: true });
    fs.renameSync(path.join(dir, 'main.go'), path.join(dir, 'cmd', 'server', 'main.go'));
    const failed = await hw.waitForLog((l) => l.event === 'build.failed', 'the build of the emptied root fails');
    expect(failed.msg).toContain(
      'fix: the main package . (build.package, or --package) is gone (moved or renamed?): main packages under the root now: ./cmd/server',
    );
  }, 120_000);
});
