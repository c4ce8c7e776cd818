/**
 * `npm run bench:bundle`: what `wrangler deploy` would upload, measured with
 * `wrangler deploy --dry-run --outdir` (offline), against Cloudflare's Worker
 * size limits after compression: 3 MiB on the free plan, 10 MiB on the paid
 * one. Besides the Worker as configured it measures what the free plan would
 * take: the same code minified, without onnxruntime-web (its JS and its
 * WebAssembly swapped for a stub by a wrangler `alias`), and both; and lists
 * the gzip size of every WebAssembly build onnxruntime-web ships. Writes
 * bench/results/bundle.{json,md}; exits non-zero when the Worker as
 * configured is over the paid limit.
 *
 * `--check` (run by `npm test`) measures the Worker as configured only,
 * writes nothing, and fails when the dry run fails or the paid limit is
 * passed: the deploy a user would run keeps building.
 */
import { readdir, readFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { PROJECT_ROOT, runWrangler } from "../index-builder/src/local/wrangler";

const KIB = 1024;
const MIB = 1024 * KIB;
const LIMITS = { freeBytes: 3 * MIB, paidBytes: 10 * MIB };
const ORT_DIST = join(PROJECT_ROOT, "node_modules", "onnxruntime-web", "dist");

const { values } = parseArgs({ options: { check: { type: "boolean", default: false } } });
const log = (line: string) => console.log(`[bench:bundle] ${line}`);

interface Module {
  name: string;
  bytes: number;
  gzipBytes: number;
}

interface Measured {
  variant: string;
  /** wrangler's own "Total Upload: … / gzip: …" figures, in bytes. */
  wranglerBytes: number;
  wranglerGzipBytes: number;
  /** The modules written to --outdir (source maps and README left out), each gzipped here at level 9. */
  modules: Module[];
  underFree: boolean;
  underPaid: boolean;
}

/** One dry run into a fresh directory; the figures wrangler prints and the modules it wrote. */
async function dryRun(variant: string, args: string[], scratch: string): Promise<Measured> {
  const outdir = join(scratch, variant);
  const output = await runWrangler(["deploy", "--dry-run", "--outdir", outdir, ...args], { quiet: true });
  const total = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output);
  if (!total) throw new Error(`wrangler printed no upload size for ${variant}:\n${output}`);
  const modules: Module[] = [];
  for (const name of (await readdir(outdir)).sort()) {
    if (name.endsWith(".map") || name === "README.md") continue;
    const bytes = await readFile(join(outdir, name));
    modules.push({ name: name.replace(/^[0-9a-f]{40}-/, ""), bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length });
  }
  const wranglerGzipBytes = Math.round(Number(total[2]) * KIB);
  return {
    variant,
    wranglerBytes: Math.round(Number(total[1]) * KIB),
    wranglerGzipBytes,
    modules,
    underFree: wranglerGzipBytes <= LIMITS.freeBytes,
    underPaid: wranglerGzipBytes <= LIMITS.paidBytes,
  };
}

/**
 * A config with only what bundling reads (the bindings do not change the
 * code), plus aliases: `onnxruntime-web/wasm` and ort-runtime.ts's
 * `./ort-wasm` become a stub, so neither ORT's JS nor its WebAssembly is
 * bundled. The Worker it makes is for measuring, never for deploying.
 */
async function withoutOrtConfig(scratch: string): Promise<string> {
  const toml = await readFile(join(PROJECT_ROOT, "wrangler.toml"), "utf8");
  const setting = (key: string) => new RegExp(`^${key} = (.+)$`, "m").exec(toml)?.[1] ?? "";
  const stub = join(scratch, "ort-stub.js");
  await writeFile(
    stub,
    'export default null;\nexport const env = { wasm: {} };\nexport const InferenceSession = { create: () => Promise.reject(new Error("no onnxruntime-web in this build")) };\n',
  );
  const config = join(scratch, "without-ort.toml");
  await writeFile(
    config,
    [
      `name = ${setting("name")}`,
      `main = ${JSON.stringify(join(PROJECT_ROOT, "worker", "src", "index.ts"))}`,
      `compatibility_date = ${setting("compatibility_date")}`,
      `keep_names = ${setting("keep_names") || "true"}`,
      `alias = { "onnxruntime-web/wasm" = ${JSON.stringify(stub)}, "./ort-wasm" = ${JSON.stringify(stub)} }`,
      "",
    ].join("\n"),
  );
  return config;
}

/** Every WebAssembly build in onnxruntime-web's package: is any small enough to matter? */
async function ortBuilds(): Promise<Module[]> {
  const names = (await readdir(ORT_DIST)).filter((n) => n.endsWith(".wasm")).sort();
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(join(ORT_DIST, name));
      return { name, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
    }),
  );
}

const kib = (bytes: number) => (bytes / KIB).toFixed(1);
const mib = (bytes: number) => (bytes / MIB).toFixed(2);

function markdown(runs: Measured[], builds: Module[]): string {
  const shipped = runs[0]!;
  const withoutOrt = runs.find((r) => r.variant === "without onnxruntime-web")!;
  const ortWasm = shipped.modules.find((m) => m.name.startsWith("ort-wasm"));
  const smallestBuild = [...builds].sort((a, b) => a.gzipBytes - b.gzipBytes)[0];
  return [
    `What \`wrangler deploy\` would upload (\`wrangler deploy --dry-run --outdir\`, offline), against the Worker size limits after compression: free plan ${mib(LIMITS.freeBytes)} MiB, paid ${mib(LIMITS.paidBytes)} MiB. Sizes in KiB; "gzip" is wrangler's own figure.`,
    "",
    "| variant | upload KiB | gzip KiB | gzip MiB | free plan (3 MiB) | paid plan (10 MiB) |",
    "| --- | ---: | ---: | ---: | --- | --- |",
    ...runs.map(
      (r) =>
        `| ${r.variant} | ${kib(r.wranglerBytes)} | ${kib(r.wranglerGzipBytes)} | ${mib(r.wranglerGzipBytes)} | ${r.underFree ? "fits" : "over"} | ${r.underPaid ? "fits" : "over"} |`,
    ),
    "",
    `Modules of the Worker as configured (gzip -9 each, here):`,
    "",
    "| module | KiB | gzip KiB |",
    "| --- | ---: | ---: |",
    ...shipped.modules.map((m) => `| ${m.name} | ${kib(m.bytes)} | ${kib(m.gzipBytes)} |`),
    "",
    "WebAssembly builds in onnxruntime-web's package (the Worker imports ort-wasm-simd-threaded.wasm):",
    "",
    "| build | KiB | gzip KiB |",
    "| --- | ---: | ---: |",
    ...builds.map((m) => `| ${m.name} | ${kib(m.bytes)} | ${kib(m.gzipBytes)} |`),
    "",
    ortWasm && smallestBuild
      ? `onnxruntime-web's WebAssembly alone is ${kib(ortWasm.gzipBytes)} KiB gzip (${((100 * ortWasm.gzipBytes) / LIMITS.freeBytes).toFixed(0)}% of the free limit), and the smallest build the package ships is ${smallestBuild.name} (${kib(smallestBuild.gzipBytes)} KiB gzip). Without onnxruntime-web the Worker is ${kib(withoutOrt.wranglerGzipBytes)} KiB gzip (${((100 * withoutOrt.wranglerGzipBytes) / LIMITS.freeBytes).toFixed(1)}% of the free limit).`
      : "",
    "",
  ].join("\n");
}

const scratch = await mkdtemp(join(tmpdir(), "bench-bundle-"));
try {
  const shipped = await dryRun("as configured", [], scratch);
  log(`as configured: ${kib(shipped.wranglerBytes)} KiB, gzip ${kib(shipped.wranglerGzipBytes)} KiB (${mib(shipped.wranglerGzipBytes)} MiB)`);
  if (!values.check) {
    const withoutOrt = await withoutOrtConfig(scratch);
    const runs = [
      shipped,
      await dryRun("minified", ["--minify"], scratch),
      await dryRun("without onnxruntime-web", ["--config", withoutOrt], scratch),
      await dryRun("without onnxruntime-web, minified", ["--config", withoutOrt, "--minify"], scratch),
    ];
    const builds = await ortBuilds();
    const result = { limits: LIMITS, runs, onnxruntimeBuilds: builds, ok: shipped.underPaid };
    await mkdir(join(PROJECT_ROOT, "bench", "results"), { recursive: true });
    await writeFile(join(PROJECT_ROOT, "bench", "results", "bundle.json"), JSON.stringify(result, null, 2) + "\n");
    const md = markdown(runs, builds);
    await writeFile(join(PROJECT_ROOT, "bench", "results", "bundle.md"), md);
    console.log(md);
  }
  if (!shipped.underPaid) {
    console.error(`[bench:bundle] over the paid plan's ${mib(LIMITS.paidBytes)} MiB: wrangler deploy would be refused`);
    process.exitCode = 1;
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}
