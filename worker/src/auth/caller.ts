/** Who is calling, as authenticate() established it. */
export type Caller =
  /** A server holding a secret key: may act for any user, and on admin routes. */
  | { kind: "secret" }
  /**
   * A browser holding a publishable key, from one of its origins; acts for
   * `userId` only, the subject of the user token it sent (null without one).
   */
  | { kind: "publishable"; key: string; client: string; userId: string | null; anonymous: boolean };
