/** Representative valid inputs of one request each: a recommendations query, a batch of 20 events, a profile. */
export const QUERY = { user_id: "user-42", surface: "related", item_id: "356", limit: "10", exclude: "1,2,3" };
export const BATCH = {
  events: Array.from({ length: 20 }, (_, i) => ({
    eventId: `e-${i}`,
    userId: "user-42",
    itemId: String(100 + i),
    type: i % 5 === 0 ? "rating" : "click",
    ...(i % 5 === 0 ? { value: 4 } : {}),
    timestamp: i % 2 === 0 ? Date.UTC(2026, 11, 4, 12) : "2026-12-04T12:00:00Z",
    surface: "home",
    impressionId: "imp-1",
    context: { page: "home" },
  })),
};
export const PROFILE = { language: "pt-BR", region: "br", categories: ["Drama", "Comedy"] };
