import { createApp } from "./app";

export { UserSession } from "./session/user-session";

const app = createApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
