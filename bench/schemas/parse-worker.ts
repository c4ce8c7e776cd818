/**
 * A Worker for bench/schemas.ts: `/parse?lib=valibot|zod&n=` validates the
 * representative inputs (bench/schemas/inputs.ts) `n` times with the
 * Worker's Valibot schemas or their zod equivalents; `/noop` does nothing.
 * The workerd process's CPU across such requests is the parsing's cost.
 */
import * as v from "valibot";
import { eventBatchEnvelope, eventSchema } from "../../shared/events/event-schema";
import { userProfileSchema } from "../../shared/users/profile";
import { recommendationsQuery } from "../../worker/src/http/schemas/recommendations";
import { BATCH, PROFILE, QUERY } from "./inputs";
import { zodEnvelope, zodEvent, zodProfile, zodRecommendationsQuery } from "./zod-schemas";

const valibotEvent = eventSchema(() => Date.UTC(2026, 11, 4, 13));
const all = { abortEarly: false } as const;

function valibotOnce(): boolean {
  if (!v.safeParse(recommendationsQuery, QUERY, all).success) return false;
  const envelope = v.safeParse(eventBatchEnvelope, BATCH, all);
  if (!envelope.success) return false;
  for (const e of envelope.output.events) if (!v.safeParse(valibotEvent, e, all).success) return false;
  return v.safeParse(userProfileSchema, PROFILE, all).success;
}

function zodOnce(): boolean {
  if (!zodRecommendationsQuery.safeParse(QUERY).success) return false;
  const envelope = zodEnvelope.safeParse(BATCH);
  if (!envelope.success) return false;
  for (const e of envelope.data.events) if (!zodEvent.safeParse(e).success) return false;
  return zodProfile.safeParse(PROFILE).success;
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname !== "/parse") return new Response("0");
    const once = url.searchParams.get("lib") === "zod" ? zodOnce : valibotOnce;
    const n = Number(url.searchParams.get("n") ?? 1000);
    let ok = 0;
    for (let i = 0; i < n; i++) if (once()) ok++;
    return new Response(String(ok));
  },
};
