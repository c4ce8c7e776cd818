import { readFileSync } from "node:fs";
import { join } from "node:path";
import { titlePageName } from "../../../shared/index-format/funnel-section";
import { parseManifest } from "../../../shared/index-format/manifest";
import { type TitleBase } from "./title-blobs";

/**
 * The title pages of a built version directory (`manifest.json`, `blobs/`)
 * as a build's title base; null when it has none or cannot be read (the
 * build then writes every page fresh).
 */
export function readTitleBase(dir: string): TitleBase | null {
  try {
    const manifest = parseManifest(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")));
    const pageSize = manifest.funnel?.titlePageSize;
    const pages = manifest.funnel?.titlePages ?? 0;
    if (!pageSize) return null;
    return {
      pageSize,
      page: (p) => {
        if (p >= pages) return null;
        try {
          return new Uint8Array(readFileSync(join(dir, "blobs", titlePageName(p))));
        } catch {
          return null;
        }
      },
    };
  } catch {
    return null;
  }
}
