import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBase64Url, encodeBase64Url } from "./base64url";
import { constantTimeEqual, generateKey, hashSecretKey } from "./secret-key";
import { signUserToken, type TokenKey, verifyUserToken } from "./user-token";

const key: TokenKey = { kid: "k1", secret: "s".repeat(32) };
const other: TokenKey = { kid: "k2", secret: "t".repeat(32) };
const nowMs = 1_800_000_000_000;
const nowS = nowMs / 1000;
const options = { audience: "recs", nowMs, maxLifetimeS: 3600 };
const claims = { sub: "user-1", aud: "recs", exp: nowS + 600, iat: nowS };

/** Re-encodes a token's part, keeping the other two as they were. */
function withPart(token: string, index: number, value: unknown): string {
  const parts = token.split(".");
  parts[index] = encodeBase64Url(new TextEncoder().encode(JSON.stringify(value)));
  return parts.join(".");
}

describe("user tokens", () => {
  it("accepts what it signed, for its subject and audience", async () => {
    const check = await verifyUserToken(await signUserToken(claims, key), [key], options);
    expect(check).toEqual({ ok: true, claims: { sub: "user-1", aud: "recs", exp: claims.exp, iat: nowS } });
  });

  it("refuses every way a token can be wrong, with the reason", async () => {
    const token = await signUserToken(claims, key);
    const cases: [string, Promise<string> | string, string][] = [
      ["another user's claims under this signature", withPart(token, 1, { ...claims, sub: "user-2" }), "bad_signature"],
      ["signed with a secret we do not hold", signUserToken(claims, { kid: "k1", secret: "x".repeat(32) }), "bad_signature"],
      ["a kid we do not have", signUserToken(claims, other), "unknown_key"],
      ["alg none", withPart(token, 0, { alg: "none", typ: "JWT" }).replace(/\.[^.]*$/, "."), "unsupported_algorithm"],
      ["alg none with a signature", withPart(token, 0, { alg: "none", kid: "k1" }), "unsupported_algorithm"],
      ["alg HS512", withPart(token, 0, { alg: "HS512", kid: "k1" }), "unsupported_algorithm"],
      ["expired", signUserToken({ ...claims, exp: nowS - 31 }, key), "expired"],
      ["not yet valid", signUserToken({ ...claims, nbf: nowS + 120 }, key), "not_yet_valid"],
      ["another audience", signUserToken({ ...claims, aud: "elsewhere" }, key), "wrong_audience"],
      ["long-lived", signUserToken({ ...claims, exp: nowS + 86_400 }, key), "lifetime_too_long"],
      ["no exp", signUserToken({ ...claims, exp: undefined as unknown as number }, key), "malformed"],
      ["a sub that is not an id", signUserToken({ ...claims, sub: "a b" }, key), "malformed"],
      ["two parts", token.split(".").slice(0, 2).join("."), "malformed"],
      ["not base64url", token.replace(/^./, "*"), "malformed"],
      ["huge", "a".repeat(5000), "malformed"],
    ];
    for (const [name, pending, problem] of cases) {
      const check = await verifyUserToken(await pending, [key], options);
      expect(check.ok ? "accepted" : check.problem, name).toBe(problem);
    }
  });

  it("tolerates 30 s of clock skew and no more", async () => {
    expect((await verifyUserToken(await signUserToken({ ...claims, exp: nowS - 29 }, key), [key], options)).ok).toBe(true);
    expect((await verifyUserToken(await signUserToken({ ...claims, exp: nowS - 30 }, key), [key], options)).ok).toBe(false);
  });

  it("verifies with any active key during a rotation, by kid or by trying each", async () => {
    const byOld = await signUserToken(claims, key);
    const byNew = await signUserToken(claims, other);
    expect((await verifyUserToken(byOld, [other, key], options)).ok).toBe(true);
    expect((await verifyUserToken(byNew, [other, key], options)).ok).toBe(true);
    const noKid = withPart(byOld, 0, { alg: "HS256", typ: "JWT" });
    // The header is signed too, so a token without kid must be re-signed: build one by hand.
    const head = noKid.split(".")[0]!;
    const body = byOld.split(".")[1]!;
    const cryptoKey = await crypto.subtle.importKey("raw", new TextEncoder().encode(key.secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const sig = new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, new TextEncoder().encode(`${head}.${body}`)));
    expect((await verifyUserToken(`${head}.${body}.${encodeBase64Url(sig)}`, [other, key], options)).ok).toBe(true);
    expect((await verifyUserToken(`${head}.${body}.${encodeBase64Url(sig)}`, [other], options)).ok).toBe(false);
  });

  it("never accepts an arbitrary string or a token with any byte changed", async () => {
    const token = await signUserToken(claims, key);
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (text) => {
        expect((await verifyUserToken(text, [key], options)).ok).toBe(false);
      }),
      { numRuns: 300, seed: 14 },
    );
    await fc.assert(
      fc.asyncProperty(fc.nat(token.length - 1), fc.constantFrom(..."ABCDEFabcdef0123456789-_."), async (at, ch) => {
        fc.pre(token[at] !== ch);
        const changed = token.slice(0, at) + ch + token.slice(at + 1);
        const check = await verifyUserToken(changed, [key], options);
        // Changing the last character can leave the signature's bytes equal (its low bits are padding).
        if (check.ok) expect(decodeBase64Url(changed.split(".")[2]!)).toEqual(decodeBase64Url(token.split(".")[2]!));
      }),
      { numRuns: 300, seed: 14 },
    );
  });
});

describe("secret keys", () => {
  it("are 256 random bits after their prefix, stored as a SHA-256 hex digest", async () => {
    const a = generateKey("sk_");
    expect(a).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
    expect(generateKey("sk_")).not.toBe(a);
    expect(await hashSecretKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("compare equal only when every byte is equal", () => {
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1]), new Uint8Array([1, 0]))).toBe(false);
  });

  it("base64url round-trips any bytes and refuses other alphabets", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(decodeBase64Url(encodeBase64Url(bytes))).toEqual(bytes);
      }),
      { seed: 14 },
    );
    expect(decodeBase64Url("ab+/")).toBeNull();
    expect(decodeBase64Url("abc=")).toBeNull();
  });
});
