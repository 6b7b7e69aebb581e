import { readFileSync } from 'node:fs';

/** package.json's version (../../package.json from dist/cli and from the flat bundle alike). */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
