import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../../client";
import { BASE, freshUser, publishDemo, userToken } from "./fixtures";
import { TEST_AUTH } from "./test-auth";

/** The typed client against the Worker in workerd: its fetch goes straight to the Worker's handler. */
const toWorker: typeof fetch = (input, init) => exports.default.fetch(new Request(input, init));
let clientIp = 0;
/** As a browser on the key's origin, from an address of its own (the rate limit counts per client). */
const browserHeaders = () => ({ Origin: TEST_AUTH.origin, "CF-Connecting-IP": `10.9.0.${++clientIp}` });

describe("typed client (client/index.ts)", () => {
  beforeAll(async () => {
    await publishDemo("v-client");
  });

  it("acts for a user with the publishable key and their token: events, then recommendations", async () => {
    const user = freshUser();
    const token = await userToken(user);
    const api = createClient(BASE, { publishableKey: TEST_AUTH.publishableKey, userToken: token, headers: browserHeaders(), fetch: toWorker });
    const posted = await api.v1.events.$post({
      json: { events: [{ eventId: "c1", userId: user, itemId: "m1", type: "click", timestamp: Date.now() - 1000 }] },
    });
    expect(posted.status).toBe(200);
    const accepted = await posted.json();
    expect("accepted" in accepted && accepted.accepted).toEqual(["c1"]);

    const listed = await api.v1.recommendations.$get({ query: { user_id: user, limit: "5" } });
    expect(listed.status).toBe(200);
    const list = await listed.json();
    if (!("items" in list)) throw new Error(`no list: ${JSON.stringify(list)}`);
    expect(list.items.length).toBe(5);
    expect(list.indexVersion).toBe("v-client");
  });

  it("reads the token from a function on every request, and sends none when it returns undefined", async () => {
    const user = freshUser();
    const session: { token?: string } = {};
    const api = createClient(BASE, { publishableKey: TEST_AUTH.publishableKey, userToken: () => session.token, headers: browserHeaders(), fetch: toWorker });
    const refused = await api.v1.recommendations.$get({ query: { user_id: user } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: "token_required" } });
    session.token = await userToken(user);
    expect((await api.v1.recommendations.$get({ query: { user_id: user } })).status).toBe(200);
  });

  it("a server's secret key reaches the admin routes", async () => {
    const api = createClient(BASE, { secretKey: TEST_AUTH.secretKey, fetch: toWorker });
    const current = await api.admin.index.current.$get();
    expect(current.status).toBe(200);
    expect(await current.json()).toMatchObject({ version: "v-client" });
  });
});
