import fs from 'node:fs';
import path from 'node:path';

/** `<parent>/mod`: the smallest Go module with a main package at its root (nothing built); its path. */
export function writeMainModule(parent: string): string {
  const mod = path.join(parent, 'mod');
  fs.mkdirSync(mod);
  fs.writeFileSync(path.join(mod, 'go.mod'), 'module example.com/m\n\ngo 1.22\n');
  fs.writeFileSync(path.join(mod, 'main.go'), 'package main\n\nfunc main() {}\n');
  return mod;
}
