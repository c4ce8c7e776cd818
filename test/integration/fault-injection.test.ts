import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { faultRates, withFaults } from "../../worker/src/dev/fault-injection";

const devEnv = (spec: string) => ({ ...env, DEV_FAULTS: spec }) as Env;

describe("dev-only fault injection (bench:chaos)", () => {
  it("is off without the var, for non-loopback hosts and for admin routes", () => {
    expect(faultRates(env, new Request("http://127.0.0.1:8787/v1/recommendations"))).toBeNull();
    const spec = JSON.stringify({ kv: 1, d1: 0.5 });
    expect(faultRates(devEnv(spec), new Request("https://recs.example.com/v1/recommendations"))).toBeNull();
    expect(faultRates(devEnv(spec), new Request("http://127.0.0.1:8787/admin/index/current"))).toBeNull();
    expect(faultRates(devEnv("not json"), new Request("http://127.0.0.1:8787/v1/events"))).toBeNull();
    expect(faultRates(devEnv(spec), new Request("http://localhost:8787/v1/events"))).toEqual({ kv: 1, d1: 0.5 });
  });

  it("makes KV and D1 calls throw at the given rate, and pass through at rate 0", async () => {
    const broken = withFaults(env, { kv: 1, d1: 1 });
    await expect(broken.INDEX_KV.get("anything")).rejects.toThrow(/injected KV fault/);
    await expect(broken.DB.prepare("SELECT 1 AS one").first()).rejects.toThrow(/injected D1 fault/);
    await expect(broken.DB.prepare("SELECT ? AS one").bind(1).all()).rejects.toThrow(/injected D1 fault/);
    const healthy = withFaults(env, { kv: 0, d1: 0 });
    expect(await healthy.INDEX_KV.get("no-such-key")).toBeNull();
    expect(await healthy.DB.prepare("SELECT ? AS one").bind(1).first<{ one: number }>()).toEqual({ one: 1 });
    expect((await healthy.DB.batch([healthy.DB.prepare("SELECT 2 AS two")]))[0]!.results).toEqual([{ two: 2 }]);
  });
});
