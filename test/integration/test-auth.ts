/**
 * The credentials of the workerd integration suite: read by its vitest
 * config (Node) to make the Worker's bindings, and by the tests (workerd)
 * to call with them. Plain constants, so both sides agree.
 */
export const TEST_AUTH = {
  secretKey: "sk_integration-secret-key",
  /** A second active secret key, as during a rotation. */
  rotatedSecretKey: "sk_integration-rotated-key",
  publishableKey: "pk_integration",
  origin: "https://shop.example",
  tokenKid: "t1",
  tokenSecret: "integration-token-secret-0123456789abcdef",
  erasureKey: "integration-erasure-key-0123456789abcdef",
  audience: "recs-integration",
} as const;

/**
 * The rate limits of the suite's Worker, smaller than wrangler.toml's so the
 * tests reach them in a few dozen requests (the e2e suite floods the real ones).
 */
export const TEST_LIMITS = { client: 40, userEvents: 10, anonymous: 10 } as const;
