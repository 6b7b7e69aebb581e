import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { portHolders } from '../../src/os/ports.js';
import { commandOf } from '../../src/os/inotify.js';
import { isAlive, waitFor } from '../helpers/wait.js';

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    c.kill('SIGKILL');
    await waitFor(() => c.pid === undefined || !isAlive(c.pid), { timeoutMs: 5000, description: `child ${c.pid} gone` });
  }
});

describe('portHolders on the real /proc', () => {
  it('a holder whose command line has newlines and tabs is named on one line (as inotify consumers are)', async () => {
    // A multi-line -e script, as editors and scripts pass them: the report must not break across lines.
    const script =
      "const s = require('node:net').createServer()\n\t.listen(0, '127.0.0.1', () => process.stdout.write('port ' + s.address().port + '\\n'));";
    const server = spawn(process.execPath, ['-e', script, 'two\nlines'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(server);
    let out = '';
    server.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    const port = await waitFor(() => Number(/port (\d+)/.exec(out)?.[1]) || undefined, {
      timeoutMs: 10_000,
      description: 'server reports its port',
    });
    const holders = portHolders(port);
    expect(holders.map((h) => h.pid)).toEqual([server.pid]);
    const cmd = holders[0]!.cmd;
    expect(cmd).not.toMatch(/[\n\t]/);
    expect(cmd).toContain("createServer() .listen(0, '127.0.0.1'");
    expect(cmd).toMatch(/two lines$/);
    expect(cmd).toBe(commandOf(server.pid!));
  });
});
