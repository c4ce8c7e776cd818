import { describe, expect, it } from "vitest";
import { playgroundUrl, readFragment } from "./fragment";

describe("credentials in the playground link", () => {
  it("come back from the fragment as they went in, ids with colons included", () => {
    const credentials = {
      publishableKey: "pk_abc-_1",
      users: [
        { userId: "1", token: "h.e.s-_" },
        { userId: "anon:x@y", token: "a.b-c_" },
      ],
    };
    const url = playgroundUrl("http://127.0.0.1:8787/", credentials);
    expect(url.startsWith("http://127.0.0.1:8787/playground/#key=pk_abc-_1&user=")).toBe(true);
    expect(readFragment(new URL(url).hash)).toEqual({ credentials, problem: null });
  });

  it("refuse a secret key, and hold nothing without a key", () => {
    const secret = readFragment("#key=sk_live&user=1:t");
    expect(secret.credentials).toBeNull();
    expect(secret.problem).toMatch(/secret key/);
    expect(readFragment("")).toEqual({ credentials: null, problem: null });
    expect(readFragment("#key=pk_1&user=nocolon&user=:t&user=u:").credentials).toEqual({ publishableKey: "pk_1", users: [] });
  });
});
