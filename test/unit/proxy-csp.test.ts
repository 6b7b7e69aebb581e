/** How a Content-Security-Policy is made to admit the reload script, and nothing more. */
import { describe, expect, it } from 'vitest';
import { admitReloadScript, blocksReloadScript } from '../../src/proxy/csp.js';

const admit = (policy: string) => admitReloadScript(policy, 'N');

describe('admitReloadScript', () => {
  it('leaves alone what already admits an inline script and a same-origin connection', () => {
    for (const p of [
      "img-src 'self'",
      "script-src 'unsafe-inline'; connect-src 'self'",
      "default-src * 'unsafe-inline'",
      'frame-ancestors none',
    ]) {
      expect(admit(p)).toEqual({ value: p, changed: false });
      expect(blocksReloadScript(p)).toBe(false);
    }
  });

  it('adds the nonce to the directive that governs scripts, following the fallback chain', () => {
    expect(admit("script-src 'self'").value).toBe("script-src 'self' 'nonce-N'");
    expect(admit("script-src 'self'; script-src-elem 'self'").value).toBe("script-src 'self'; script-src-elem 'self' 'nonce-N'");
    expect(admit("default-src 'self'").value).toBe("default-src 'self' 'nonce-N'");
  });

  it("'unsafe-inline' beside a nonce, a hash or 'strict-dynamic' does not count", () => {
    expect(admit("script-src 'unsafe-inline' 'nonce-app'").value).toBe("script-src 'unsafe-inline' 'nonce-app' 'nonce-N'");
    expect(admit("script-src 'unsafe-inline' 'strict-dynamic'").value).toBe("script-src 'unsafe-inline' 'strict-dynamic' 'nonce-N'");
    expect(admit("script-src 'unsafe-inline' 'sha256-abc='").changed).toBe(true);
  });

  it("drops 'none' where a source is added, and gives connections their own directive rather than widening default-src", () => {
    expect(admit("default-src 'none'").value).toBe("default-src 'nonce-N'; connect-src 'self'");
    expect(admit("default-src https://cdn.example; script-src 'none'").value).toBe(
      "default-src https://cdn.example; script-src 'nonce-N'; connect-src https://cdn.example 'self'",
    );
    expect(admit("script-src 'unsafe-inline'; connect-src 'none'").value).toBe("script-src 'unsafe-inline'; connect-src 'self'");
  });

  it('fixes each policy of a comma-separated list on its own', () => {
    expect(admit("script-src 'self', img-src 'self', connect-src https://api.example").value).toBe(
      "script-src 'self' 'nonce-N', img-src 'self', connect-src https://api.example 'self'",
    );
  });

  it('is case-insensitive for directive names and keywords', () => {
    expect(admit("SCRIPT-SRC 'UNSAFE-INLINE'; Connect-Src 'SELF'").changed).toBe(false);
  });
});
