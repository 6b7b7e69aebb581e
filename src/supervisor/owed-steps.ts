/**
 * A before-step that did not complete stays due. Steps run when one of their `files` changed; one that
 * failed (a generator not installed yet), or was canceled by a newer change, was otherwise not run again
 * until its own files changed: the fix usually lies elsewhere (`go get -tool` the generator, a tool's
 * version in go.mod, an env var), and the next cycle built and served the app without what the step
 * generates, saying "built ... serving". Such a step runs in every cycle until it succeeds, said at info.
 */
import type { BuildStep } from '../config/settings.js';
import { display } from './steps.js';

const keyOf = (s: BuildStep): string => `${s.when}\0${display(s.run)}`;

export class OwedSteps {
  private readonly owed = new Set<string>();

  /** `due` (this change's steps of one kind) with the owed ones of `all` added, in the config's order; `owedOnly`: those added. */
  withOwed(all: readonly BuildStep[], due: readonly BuildStep[]): { steps: BuildStep[]; owedOnly: BuildStep[] } {
    const owedOnly = all.filter((s) => s.when === 'before' && !due.includes(s) && this.owed.has(keyOf(s)));
    if (owedOnly.length === 0) return { steps: [...due], owedOnly };
    return { steps: all.filter((s) => due.includes(s) || owedOnly.includes(s)), owedOnly };
  }

  /** `steps` are about to run: each stays owed until it is known to have succeeded. */
  starting(steps: readonly BuildStep[]): void {
    for (const s of steps) this.owed.add(keyOf(s));
  }

  /** They ran: all succeeded, or they stopped at `failed` (its display), those before it having succeeded. */
  ran(steps: readonly BuildStep[], failed: string | undefined): void {
    const end = failed === undefined ? steps.length : steps.findIndex((s) => display(s.run) === failed);
    for (const s of steps.slice(0, end < 0 ? 0 : end)) this.owed.delete(keyOf(s));
  }
}
