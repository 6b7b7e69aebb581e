/**
 * The state of one .air.toml conversion: what the file sets, the hotwatch values and comments being
 * drafted, and where each air key went (converted, or reported with the reason). Shared by the
 * converters of each part (convert-watch, convert-build, convert-run); convert.ts runs them.
 */
import type { Config } from '../../config/schema.js';
import type { ConfigDraft } from '../render.js';
import type { AirFile } from './read.js';

export interface ConvertContext {
  /** Absolute root of the project (air's root resolved): directories and env files are looked up there. */
  root: string;
  /** The platform whose [build.<os>] block applies ('linux', 'darwin', 'windows'). */
  platform: string;
  /** hotwatch's defaults (ConfigSchema.parse({})). */
  defaults: Config;
}

export interface Unmapped {
  key: string;
  reason: string;
}

export interface AirConversion {
  draft: ConfigDraft;
  /** air key → what it became. */
  mapped: Map<string, string>;
  unmapped: Unmapped[];
  /** Converted keys whose result behaves differently in a way the person must know (said on stderr too). */
  differences: Unmapped[];
}

/** The conversion in progress: what the file sets, and where each of its keys went. */
export class Conv {
  readonly draft: ConfigDraft = { values: {}, notes: {}, header: [] };
  readonly mapped = new Map<string, string>();
  readonly unmapped: Unmapped[] = [];
  readonly differences: Unmapped[] = [];

  constructor(
    readonly air: AirFile,
    readonly ctx: ConvertContext,
  ) {}

  has(key: string): boolean {
    return this.air.values.has(key);
  }

  get<T>(key: string): T | undefined {
    return this.air.values.get(key) as T | undefined;
  }

  /** Set a hotwatch key. */
  set(hotKey: string, value: unknown): void {
    this.draft.values[hotKey] = value;
  }

  /** A comment above a hotwatch key (or section), saying why. */
  note(hotKey: string, text: string): void {
    const notes = this.draft.notes[hotKey] ?? [];
    notes.push(text);
    this.draft.notes[hotKey] = notes;
  }

  /** The air key (when the file sets it) became `to`. */
  map(key: string, to: string): void {
    if (this.has(key)) this.mapped.set(key, to);
  }

  /**
   * The air key (when the file sets it) was converted, but an edit or the build will not behave as in air
   * for `reason`: said on stderr and at the top of the file, not only in a comment.
   */
  differs(key: string, reason: string): void {
    if (this.has(key)) this.differences.push({ key, reason });
  }

  /** The air key (when the file sets it) cannot be converted, for `reason`. */
  drop(key: string, reason: string): void {
    if (this.has(key)) this.unmapped.push({ key, reason });
  }
}

/** "300ms", or "2s" for whole seconds: hotwatch's durations carry a unit. */
export function ms(n: number): string {
  return n > 0 && n % 1000 === 0 ? `${n / 1000}s` : `${n}ms`;
}
