import { createApp } from "./app";
import { faultRates, withFaults } from "./dev/fault-injection";

export { UserSession } from "./session/user-session";

const app = createApp();

export default {
  fetch: (request, env, ctx) => {
    // Null unless a local chaos run asked for faults (dev/fault-injection.ts).
    const faults = faultRates(env, request);
    return app.fetch(request, faults ? withFaults(env, faults) : env, ctx);
  },
} satisfies ExportedHandler<Env>;
