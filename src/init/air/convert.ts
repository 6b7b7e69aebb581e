/**
 * .air.toml → the draft of watcher.config.yaml. Every key the file sets ends in exactly one of two
 * places: `mapped` (converted to a hotwatch key, or already what hotwatch does: a comment says which)
 * or `unmapped` (hotwatch cannot do what it asks: listed in the file and on stderr, with the reason).
 * Keys the file leaves out still count where air's default for them differs from hotwatch's (air
 * excludes `assets/`, SIGKILLs the app, waits 1 s): those differences become comments.
 */
import { suggest } from '../../config/suggest.js';
import { Conv, type AirConversion, type ConvertContext, type Unmapped } from './conv.js';
import { AIR_KEYS } from './keys.js';
import type { AirFile } from './read.js';
import { convertBuild } from './convert-build.js';
import { convertWatch } from './convert-watch.js';
import { convertRun, convertTerminal } from './convert-run.js';
import { convertProxy } from './convert-proxy.js';
import { convertSteps } from './convert-steps.js';
import { airPlatform } from './convert-build.js';

export type { AirConversion, ConvertContext, Unmapped };

function reportUnknown(c: Conv): void {
  for (const key of c.air.unknown) {
    const near = suggest(key, Object.keys(AIR_KEYS));
    c.unmapped.push({ key, reason: `not a setting of current air (air ignores it)${near ? ` (did you mean ${near}?)` : ''}` });
  }
}

/** One line per reason, its keys together ("color.main, color.build: ..."), in the order first met. */
export function groupedUnmapped(unmapped: readonly Unmapped[]): string[] {
  const byReason = new Map<string, string[]>();
  for (const u of unmapped) byReason.set(u.reason, [...(byReason.get(u.reason) ?? []), u.key]);
  return [...byReason].map(([reason, keys]) => `${keys.join(', ')}: ${reason}`);
}

function header(c: Conv, shown: string): string[] {
  const lines = [
    `hotwatch configuration converted by \`hotwatch init --from-air\` from ${shown}. Comments say where each air setting went and how hotwatch behaves differently; every other key shows its description and, commented out, its default.`,
  ];
  if (c.unmapped.length > 0) {
    lines.push(`Not converted (${c.unmapped.length}):`, ...groupedUnmapped(c.unmapped).map((l) => `- ${l}`));
  }
  if (c.differences.length > 0) {
    lines.push(`Converted, but not as air behaved (${c.differences.length}):`, ...groupedUnmapped(c.differences).map((l) => `- ${l}`));
  }
  return lines;
}

export function convertAir(air: AirFile, shown: string, ctx: ConvertContext): AirConversion {
  const c = new Conv(air, ctx);
  convertWatch(c);
  convertBuild(c);
  convertRun(c);
  convertProxy(c);
  convertTerminal(c);
  convertSteps(c, airPlatform(ctx.platform));
  reportUnknown(c);
  c.draft.header = header(c, shown);
  return { draft: c.draft, mapped: c.mapped, unmapped: c.unmapped, differences: c.differences };
}
