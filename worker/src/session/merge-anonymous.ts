import { type InteractionEvent } from "../../../shared/events/event";
import { catalogFacts } from "../catalog/d1-catalog";
import { sessionStub } from "./session-stub";
import { linkForErasure } from "../privacy/merged-ids";

export interface MergeResult {
  mergedEvents: number;
  profileAdopted: boolean;
  sessionVersion: number;
}

/**
 * Merges an anonymous visitor's session into the user who just logged in:
 * the anonymous events join the user's under ids prefixed with the
 * anonymous id (event ids are each user's own: the visitor's "e1" is not
 * the user's "e1"; a repeated merge derives the same ids, so it stores each
 * once), updating the user's seen items, recent items and
 * affinities; the anonymous profile is adopted only when the user declared
 * none. No merged event is delivered under the user's id: what Redis has
 * it has under the anonymous id, and what the anonymous outbox still owes
 * (events and impressions) moves to the user's outbox as it is, still under
 * the anonymous id, so Redis's once-only check (per user id and event id)
 * counts each once, even one whose write timed out in the Worker and ran
 * in Redis all the same. Then the anonymous session is erased, outbox
 * included. Impression counts are not carried over.
 */
export async function mergeAnonymousSession(env: Env, anonymousId: string, userId: string, region: string): Promise<MergeResult> {
  const anonymous = sessionStub(env, anonymousId);
  const user = sessionStub(env, userId);
  const source = await anonymous.mergeSource();
  const events: InteractionEvent[] = source.events.map((e) => ({ ...e, userId, eventId: `${anonymousId}:${e.eventId}` }));
  let sessionVersion = await user.version();
  if (events.length > 0) {
    const facts = await catalogFacts(
      env.DB,
      events.map((e) => e.itemId),
    ).catch(() => new Map());
    const itemCategories = Object.fromEntries([...facts].map(([id, f]) => [id, f.categories as string[]]));
    sessionVersion = (await user.ingest(events, { region, itemCategories, mergedFrom: anonymousId, handedOver: source.outbox })).sessionVersion;
  } else if (source.outbox.length > 0) {
    // Impressions alone still owed: delivered from the user's outbox.
    sessionVersion = (await user.ingest([], { region, itemCategories: {}, mergedFrom: anonymousId, handedOver: source.outbox })).sessionVersion;
  }
  let profileAdopted = false;
  if (source.profile) {
    const current = await user.profile();
    if (current.region === null && current.categories.length === 0) {
      sessionVersion = (await user.setProfile(source.profile)).sessionVersion;
      profileAdopted = true;
    }
  }
  await anonymous.erase();
  await linkForErasure(env, anonymousId, userId);
  return { mergedEvents: events.length, profileAdopted, sessionVersion };
}
