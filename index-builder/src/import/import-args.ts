import { resolve } from "node:path";
import { WEIGHT_KINDS } from "../data/weights";
import { type ImportOptions } from "./import-dataset";
import { oneOf } from "../cli-options";
import { IMPORT_FORMATS } from "./row-sources";
import { calendarProblem } from "../../../shared/calendar";
import { parseTimestamp } from "../../../shared/events/event-schema";

/** The import's command-line options, in `node:util` parseArgs form; shared by `index-builder` and `npm run eval`. */
export const IMPORT_ARGS = {
  interactions: { type: "string" },
  items: { type: "string" },
  kind: { type: "string" },
  "rating-max": { type: "string" },
  "user-column": { type: "string" },
  "item-column": { type: "string" },
  "timestamp-column": { type: "string" },
  "weight-column": { type: "string" },
  "event-column": { type: "string" },
  format: { type: "string" },
  "items-format": { type: "string" },
  header: { type: "string" },
  "items-as-of": { type: "string" },
} as const;

export const IMPORT_USAGE = `  --interactions FILE CSV, TSV, JSON Lines or Parquet: user, item; optional timestamp, weight, event
  --items FILE        item metadata: item id; optional title, categories, created time, available, more columns as tags
  --kind K            what the weight means: ${WEIGHT_KINDS.join(", ")} (default plays; without a weight column each row counts 1)
  --rating-max N      top of the rating scale for --kind ratings (default 5)
  --user-column C, --item-column C, --timestamp-column C, --weight-column C, --event-column C
                      column names when they are not the usual ones (user_id, item_id, timestamp, weight, event, ...;
                      any case: userID is user_id)
  --format F          csv, tsv, jsonl or parquet when neither the extension nor the first line says
  --items-format F    the same for the item file
  --header C1,C2,...  the interactions CSV/TSV has no header line: its columns in order
                      (MovieLens-100K's u.data: --format tsv --header user,item,weight,timestamp)
  --items-as-of T     when the item data was exported: ISO-8601 with a zone, or epoch ms (default the item file's
                      modification time, else the log's); an operator's catalog edit made after it survives publication`;

type ImportArgValues = Partial<Record<keyof typeof IMPORT_ARGS, string>>;

/** Checks the parsed options and turns them into ImportOptions; throws a message naming the bad option. */
export function importOptionsFrom(values: ImportArgValues): ImportOptions {
  if (!values.interactions) throw new Error("--interactions FILE is required");
  const kind = oneOf("--kind", values.kind ?? "plays", WEIGHT_KINDS)!;
  const format = oneOf("--format", values.format, IMPORT_FORMATS);
  const itemsFormat = oneOf("--items-format", values["items-format"], IMPORT_FORMATS);
  if (itemsFormat !== undefined && !values.items) throw new Error("--items-format needs --items FILE");
  const ratingMax = values["rating-max"] === undefined ? undefined : Number(values["rating-max"]);
  if (ratingMax !== undefined && !(ratingMax > 0)) throw new Error("--rating-max must be a positive number");
  const columns = {
    user: values["user-column"],
    item: values["item-column"],
    timestamp: values["timestamp-column"],
    weight: values["weight-column"],
    event: values["event-column"],
  };
  const header = values.header?.split(",").map((c) => c.trim());
  if (header && (header.some((c) => c === "") || new Set(header).size !== header.length)) {
    throw new Error("--header must list distinct, non-empty column names separated by commas, e.g. user,item,weight,timestamp");
  }
  const asOf = values["items-as-of"];
  const itemsAsOfMs = asOf === undefined ? undefined : parseTimestamp(/^\d+$/.test(asOf) ? Number(asOf) : asOf);
  if (itemsAsOfMs === null) {
    const calendar = calendarProblem(asOf!);
    throw new Error(
      `--items-as-of must be an ISO-8601 date-time with a zone (2026-12-06T03:00:00Z) or epoch milliseconds, not "${asOf}"${calendar ? `: ${calendar}` : ""}`,
    );
  }
  return {
    interactions: resolve(values.interactions),
    header,
    ...(itemsAsOfMs === undefined ? {} : { itemsAsOfMs }),
    items: values.items ? resolve(values.items) : undefined,
    kind,
    ratingMax,
    columns: Object.fromEntries(Object.entries(columns).filter(([, v]) => v !== undefined)),
    format,
    itemsFormat,
  };
}
