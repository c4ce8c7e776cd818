import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isValidId } from "../../../shared/ids";
import { parseManifest } from "../../../shared/index-format/manifest";
import { RANKER_BLOBS } from "../../../shared/ranking/onnx-ranker";
import { orderSource, type RankingOrder, sourceOrderWeights } from "../../../shared/ranking/ranking-order";
import { buildIndex, startChoice } from "../build/build-index";
import { DEFAULT_TUNE, tuneOnValidation } from "../build/tune-on-validation";
import { type TuningReport } from "../build/tuning-choice";
import { type CarveReport } from "../eval/carve-check";
import { evaluateRecommender } from "../eval/evaluate";
import { modelLineup } from "../eval/models";
import { loadImportedSplit } from "../eval/protocols";
import { syntheticPlayLog } from "./fixtures/synthetic-play-log";
import { importDataset, type ImportOptions } from "./import-dataset";

const dirs: string[] = [];

/** The parts of the manifest's build report this test reads (build-index.ts writes it). */
interface BuildReport {
  validationCarve: CarveReport;
  heavyRanker: { built: boolean; shipped?: boolean; order?: string };
  weights: { kind: string };
  tuning: TuningReport;
}
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/**
 * A log this project has never seen (play counts, no timestamps, ids of any
 * shape) goes through import -> build -> eval with no code change, and the
 * served funnel is not below popularity on its test rows.
 */
describe("a play-count log without timestamps", () => {
  it("imports, builds a tuned index from a random validation carve, and its served order beats popularity", { timeout: 240_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), "import-e2e-"));
    dirs.push(dir);
    const log = syntheticPlayLog({ users: 240, items: 150, groups: 5, perUser: 15, seed: 11 });
    await writeFile(join(dir, "plays.csv"), log.interactionsCsv);
    await writeFile(join(dir, "tracks.csv"), log.itemsCsv);
    const options: ImportOptions = { interactions: join(dir, "plays.csv"), items: join(dir, "tracks.csv"), kind: "plays" };
    const lines: string[] = [];
    const say = (line: string) => lines.push(line);

    const { dataset, summary } = await importDataset(options);
    expect(summary).toMatchObject({ rows: log.rows.length, users: 240, timeRange: null });
    const built = await buildIndex(dataset, join(dir, "index"), {
      log: say,
      tune: { budgetSeconds: 8 },
      importSummary: summary,
      now: new Date("2026-12-01T00:00:00Z"),
    });
    const manifest = parseManifest(JSON.parse(await readFile(join(built.dir, "manifest.json"), "utf8")));
    const report = manifest.build as unknown as BuildReport;
    // Loudly: the time carve is refused for lack of timestamps; the heavy ranker learns from the same random carve instead.
    expect(report.validationCarve).toMatchObject({ method: "random", problems: [] });
    expect(report.validationCarve.fallbackReasons[0]).toMatch(/no or constant timestamps/);
    expect(lines.some((l) => l.includes("WARNING: tuning validation: the time carve is unsound"))).toBe(true);
    expect(report.heavyRanker).toMatchObject({ built: true });
    expect(lines.some((l) => l.startsWith("heavy ranker: learns from a per-user random carve"))).toBe(true);
    // What the index serves is what the order choice picked, and the model ships only when that is the model.
    expect(manifest.ranking?.order).toBe(report.heavyRanker.order);
    expect(report.heavyRanker.shipped).toBe(report.heavyRanker.order === "heavy");
    expect(RANKER_BLOBS.model in manifest.blobs).toBe(report.heavyRanker.shipped);
    expect(report.weights.kind).toBe("plays");
    expect(report.tuning.trials.length).toBeGreaterThan(3);
    // The tuned light weights, unless validation chose one source's raw order (then that source's weights alone).
    const servedSource = orderSource(report.heavyRanker.order as RankingOrder);
    expect(manifest.ranking?.light).toEqual(servedSource ? sourceOrderWeights(servedSource) : report.tuning.choice.light);
    expect(manifest.funnel?.dims).toBe(report.tuning.choice.ials.dims);
    expect(report.tuning.best.ials).toBeGreaterThanOrEqual(report.tuning.start.ials);
    // The light stage ran and says what it shipped: the grid's best only when its cross-fitted lead cleared noise, else the ANN score alone.
    const check = report.tuning.lightCheck!;
    expect(check.kept).toBe(check.lo > 0 && JSON.stringify(check.best) !== JSON.stringify(check.baseline));
    const shipped = check.kept ? check.best : check.baseline;
    const light = report.tuning.choice.light;
    expect({ normalize: light.normalize, covisit: light.source.covisit, content: light.source.content, popularity: light.popularity }).toEqual({
      normalize: shipped.normalize,
      covisit: shipped.covisit,
      content: shipped.content,
      popularity: shipped.popularity,
    });
    const catalog = JSON.parse(await readFile(join(built.dir, "catalog.json"), "utf8")) as { itemId: string }[];
    expect(catalog.every((item) => isValidId(item.itemId))).toBe(true);

    // The eval on the same file: a per-user random test carve, choices made on a validation carve of its training rows.
    const split = await loadImportedSplit(options, say);
    expect(split.carve.method).toBe("random");
    const tuned = await tuneOnValidation(split.imported.tuning, startChoice(split.imported.dataset), { ...DEFAULT_TUNE, budgetSeconds: 8, log: say });
    split.train = split.imported.tuning.tableOf(tuned.choice.transform);
    const lineup = modelLineup(split.items, tuned.choice);
    const ndcg = async (name: string) =>
      (
        await evaluateRecommender(
          lineup.find((m) => m.name === name)!,
          split.train,
          split.test,
        )
      ).metrics.ndcgAtK;
    const popularity = await ndcg("popularity");
    const funnel = await ndcg("funnel");
    expect(popularity).toBeGreaterThan(0);
    expect(funnel).toBeGreaterThan(popularity);
  });
});
