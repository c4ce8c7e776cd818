import { type EventType } from "../events/event";

/**
 * Signed preference weight of one event for implicit ALS. Positive weights say
 * "the user wants this" with confidence 1 + alpha*w (Hu, Koren, Volinsky 2008,
 * eq. 2 with r_ui = w); negative weights are explicit negative feedback:
 * preference 0 held with confidence 1 + alpha*|w|, which pushes the score
 * towards 0 harder than an unobserved item does. Events on the same
 * (user, item) pair are summed before training and fold-in, so a view followed
 * by a dislike ends negative. Shared so that training and serving weigh
 * events identically.
 */
export function eventWeight(type: EventType, detail: { value?: number; seconds?: number } = {}): number {
  switch (type) {
    case "view":
      return 1;
    case "click":
      return 2;
    case "share":
      return 3;
    case "like":
    case "add_to_cart":
      return 4;
    case "purchase":
      return 8;
    case "watch":
      // Capped so one binge does not outweigh a purchase; 10 minutes = +1.
      return 1 + Math.min(detail.seconds ?? 0, 3600) / 600;
    case "rating":
      return ratingWeight(detail.value ?? 3);
    case "skip":
      return -1;
    case "dislike":
      return -4;
  }
}

/** Stars 3..5 map to +1..+3; below 3 stars is negative feedback (2 stars -> -1, 0.5 -> -2.5). */
export function ratingWeight(stars: number): number {
  return stars >= 3 ? stars - 2 : stars - 3;
}
