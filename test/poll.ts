/**
 * Reads until `done` holds or `timeoutMs` has passed, every `intervalMs`, and
 * returns the last value read: for what a service writes after its response
 * (a Redis stream, a cache store, a session's counts). Used by the e2e tests
 * in Node and the integration tests in workerd, whose clock moves across
 * the timer's wait.
 */
export async function poll<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
