/** Polls `condition` every `pollMs` until it holds or `timeoutMs` passes; throws on timeout, naming `what`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000, pollMs = 25): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
