/**
 * The big tree of scenario 2: a Go module (go.mod + the HTTP main.go at the root) with `dirs`
 * directories below the root, two levels deep, and `filesPerDir` files in each: half Go files of a
 * package named after the directory, half data files (.json, .md, .txt) that no watcher should build on.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeGoApp } from './goapp.mjs';

const DATA = ['data.json', 'README.md', 'notes.txt', 'fixture.json', 'table.txt'];

export function generateTree(root, { dirs, filesPerDir }) {
  writeGoApp(root, 'v0');
  const top = Math.max(1, Math.round(Math.sqrt(dirs)));
  const below = dirs - top;
  let made = 0;
  let files = 2;
  const fill = (dir, pkg) => {
    for (let f = 0; f < filesPerDir; f++) {
      const go = f % 2 === 0;
      const name = go ? `f${f}.go` : DATA[(f >> 1) % DATA.length].replace('.', `${f}.`);
      fs.writeFileSync(path.join(dir, name), go ? `package ${pkg}\n\nconst F${f} = ${f}\n` : `{"file": ${f}}\n`);
      files++;
    }
  };
  for (let t = 0; t < top; t++) {
    const td = path.join(root, `p${t}`);
    fs.mkdirSync(td);
    made++;
    fill(td, `p${t}`);
    const n = Math.floor(below / top) + (t < below % top ? 1 : 0);
    for (let s = 0; s < n; s++) {
      const sd = path.join(td, `q${s}`);
      fs.mkdirSync(sd);
      made++;
      fill(sd, `q${s}`);
    }
  }
  return { root, dirs: made, dirsWithRoot: made + 1, files };
}
