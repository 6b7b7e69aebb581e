/** What the config reload tests share: the app they run, and hotwatch started on it until its app listens. */
import { expect } from 'vitest';
import { freePort, startHotwatch, type Hotwatch } from './hotwatch.js';

/** The app answers with its arguments and $TAG, so a restart with new run settings shows. */
export const ARGS_TAG_MAIN = `package main

import (
\t"fmt"
\t"net/http"
\t"os"
)

func main() {
\thttp.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "args=%v tag=%s", os.Args[1:], os.Getenv("TAG")) })
\tif err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
\t\tfmt.Fprintln(os.Stderr, err)
\t\tos.Exit(1)
\t}
}
`;

/** hotwatch in `dir`, once its app listens; `cleanups` stops it and checks it exited 0. */
export async function startListening(
  dir: string,
  cleanups: (() => unknown)[],
  env: NodeJS.ProcessEnv = {},
  args: string[] = [],
): Promise<{ hw: Hotwatch; port: number; pid: number }> {
  const port = await freePort();
  const hw = startHotwatch(args, { cwd: dir, env: { PORT: String(port), ...env }, waitTimeoutMs: 60_000 });
  cleanups.push(async () => {
    const r = await hw.stop();
    expect(r.code, `hotwatch exit\n${hw.stderr().slice(-2000)}`).toBe(0);
  });
  const listening = await hw.waitForLog((l) => l.event === 'app.listening', 'the app listens');
  return { hw, port, pid: Number(listening.pid) };
}
