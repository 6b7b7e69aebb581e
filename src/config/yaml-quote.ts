/**
 * A string as it is written in watcher.config.yaml in a fix: double-quoted (JSON, which YAML reads),
 * except that a string with backslashes and no single quote is single-quoted, where YAML takes every
 * character as it is ('web/\[a-z' rather than "web/\\[a-z").
 */
export function yamlQuote(s: string): string {
  return s.includes('\\') && !s.includes("'") ? `'${s}'` : JSON.stringify(s);
}
