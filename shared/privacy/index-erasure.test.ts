import { describe, expect, it } from "vitest";
import { indexErasure } from "./index-erasure";

describe("indexErasure: the receipt's index part, from the live manifest's erasure list", () => {
  const completedAt = "2026-12-05T10:00:00.000Z";

  it("is done only when the live build read the erasure list at or after the erasure completed", () => {
    const after = indexErasure(completedAt, { version: "v2", erasureList: { readAt: "2026-12-05T10:00:00.500Z", erasedUsers: 3 } });
    expect(after.status).toBe("done");
    expect(after.note).toContain("live index v2");
    expect(after.note).toContain("2026-12-05T10:00:00.500Z");
    expect(indexErasure(completedAt, { version: "v2", erasureList: { readAt: completedAt, erasedUsers: 3 } }).status).toBe("done");
  });

  it("stays pending for a build that read the list before, or never read it", () => {
    const before = indexErasure(completedAt, { version: "v1", erasureList: { readAt: "2026-12-05T09:59:59.999Z", erasedUsers: 2 } });
    expect(before).toEqual({ status: "pending", note: expect.stringContaining("before this erasure") as string });
    const never = indexErasure(completedAt, { version: "v0" });
    expect(never.status).toBe("pending");
    expect(never.note).toContain("does not record reading the erasure list");
  });
});
