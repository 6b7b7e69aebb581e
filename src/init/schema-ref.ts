/**
 * The `$schema` reference in the modeline of a generated watcher.config.yaml. The JSON Schema ships with
 * the package (schema/watcher.config.schema.json). When hotwatch is installed in the repo's own
 * node_modules, a path relative to the config file works on every clone, so it is used; otherwise
 * (a global install, npm link, a clone of hotwatch) the absolute path of the installed schema is the
 * only reference that resolves: it is right on this machine, and only editor completion depends on it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SCHEMA_FILE } from '../config/emit-schema.js';

const PACKAGE_NAME = 'hotwatch';

const real = (p: string): string | undefined => {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
};

const posix = (p: string): string => p.split(path.sep).join('/');

/** The reference to write for a config file in `configDir`. */
export function schemaRef(configDir: string, schemaFile: string = SCHEMA_FILE): string {
  const installed = real(schemaFile) ?? schemaFile;
  // Through the repo's node_modules, even when that entry is a symlink (npm link, workspaces).
  const viaModules = path.join(configDir, 'node_modules', PACKAGE_NAME, 'schema', path.basename(schemaFile));
  if (real(viaModules) === installed) return `./${posix(path.relative(configDir, viaModules))}`;
  const rel = path.relative(real(configDir) ?? configDir, installed);
  if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) return `./${posix(rel)}`;
  return installed;
}
