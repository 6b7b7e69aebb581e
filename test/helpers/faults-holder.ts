/**
 * A tiny Go program that holds N inotify instances (inotify_init1 N times) and then sleeps, to exhaust
 * max_user_instances inside a user namespace before hotwatch starts. Go, not Python: Go is required here
 * anyway. It dies with its parent (PR_SET_PDEATHSIG) and carries the case marker, so cleanup finds it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { shq } from './faults-ns.js';

const HOLDER_GO = `package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

func main() {
	// PR_SET_PDEATHSIG = 1: die with the process that started us (hotwatch, after its shell exec'd it).
	syscall.RawSyscall(syscall.SYS_PRCTL, 1, uintptr(syscall.SIGKILL), 0)
	n, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "holder: usage: holder N READYFILE")
		os.Exit(2)
	}
	for i := 0; i < n; i++ {
		if _, err := syscall.InotifyInit1(syscall.IN_CLOEXEC); err != nil {
			fmt.Fprintf(os.Stderr, "holder: inotify_init1 #%d of %d: %v\\n", i+1, n, err)
			os.Exit(1)
		}
	}
	if err := os.WriteFile(os.Args[2], []byte("ready"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "holder:", err)
		os.Exit(1)
	}
	for {
		time.Sleep(time.Hour)
	}
}
`;

/** Builds the holder into `dir` (a temp dir) and returns the binary's path. */
export function buildHolder(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'go.mod'), 'module example.com/holder\n\ngo 1.22\n');
  fs.writeFileSync(path.join(dir, 'main.go'), HOLDER_GO);
  const bin = path.join(dir, 'holder');
  execFileSync('go', ['build', '-o', bin, '.'], { cwd: dir, timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return bin;
}

/**
 * Setup lines for nsWrap: start the holder with `n` instances in the background and wait (bounded, 10 s)
 * until it holds them; a holder that fails ends the namespace shell with its error.
 */
export function holderSetup(bin: string, n: number, readyFile: string): string[] {
  return [
    `${shq(bin)} ${n} ${shq(readyFile)} &`,
    'holder=$!',
    'i=0',
    `while [ ! -e ${shq(readyFile)} ]; do`,
    '  if ! kill -0 "$holder" 2>/dev/null; then echo "inotify holder failed" >&2; exit 3; fi',
    '  i=$((i+1)); if [ "$i" -gt 200 ]; then echo "inotify holder not ready after 10s" >&2; exit 3; fi',
    '  sleep 0.05',
    'done',
  ];
}
