/** The user's session object: one per user id, addressed by name. */
export function sessionStub(env: Env, userId: string) {
  return env.USER_SESSION.get(env.USER_SESSION.idFromName(userId));
}
