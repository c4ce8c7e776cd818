import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { offlineWranglerEnv, PROJECT_ROOT } from "./wrangler";

// `npm run wrangler -- <args>`: wrangler with the offline variables set, so
// that no script of this project can reach Cloudflare by accident.
const result = spawnSync(join(PROJECT_ROOT, "node_modules", ".bin", "wrangler"), process.argv.slice(2), {
  cwd: PROJECT_ROOT,
  env: offlineWranglerEnv(),
  stdio: "inherit",
});
process.exit(result.status ?? 1);
