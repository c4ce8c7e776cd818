import { describe, expect, it } from "vitest";
import {
  covisitPageName,
  FUNNEL_BLOBS,
  FUNNEL_FORMAT_VERSION,
  type FunnelSection,
  funnelSectionProblem,
  ITEM_DIRECTORY_BLOB,
  itemPageName,
  titlePageName,
  vectorPageName,
} from "./funnel-section";

const section: FunnelSection = {
  formatVersion: FUNNEL_FORMAT_VERSION,
  categories: ["Drama"],
  itemCount: 3,
  dims: 2,
  embedding: "ials-2",
  vectorPageSize: 2,
  vectorPages: 2,
  covisitPageSize: 4,
  covisitPages: 1,
  titlePageSize: 2,
  titlePages: 2,
};
const blobs = new Set([...Object.values(FUNNEL_BLOBS), vectorPageName(0), vectorPageName(1), covisitPageName(0), titlePageName(0), titlePageName(1)]);

describe("funnelSectionProblem", () => {
  it("accepts a complete section, with or without title pages", () => {
    expect(funnelSectionProblem(section, blobs)).toBeNull();
    const { titlePageSize: _s, titlePages: _p, ...older } = section;
    expect(funnelSectionProblem(older, blobs)).toBeNull();
  });

  it("names what is wrong with title pages", () => {
    expect(funnelSectionProblem({ ...section, titlePages: undefined }, blobs)).toMatch(/come together/);
    expect(funnelSectionProblem({ ...section, titlePageSize: -1 }, blobs)).toMatch(/titlePageSize/);
    expect(funnelSectionProblem({ ...section, titlePages: 3 }, blobs)).toBe('funnel needs the "titles-2" blob');
  });

  it("takes a paged item table's directory and pages instead of the item table, and names a missing page", () => {
    const paged = { ...section, itemPages: { rowPageSize: 2, rowPages: 2, idPageSize: 2, idPages: 2, hotRows: 2 } };
    const pages = [itemPageName("rows", 0), itemPageName("rows", 1), itemPageName("ids", 0), itemPageName("ids", 1)];
    const pagedBlobs = new Set([...[...blobs].filter((b) => b !== FUNNEL_BLOBS.itemTable), ITEM_DIRECTORY_BLOB, ...pages]);
    expect(funnelSectionProblem(paged, pagedBlobs)).toBeNull();
    expect(funnelSectionProblem(paged, blobs)).toBe('funnel needs the "item-rows-0" blob');
    expect(funnelSectionProblem(paged, new Set([...pagedBlobs].filter((b) => b !== ITEM_DIRECTORY_BLOB)))).toBe('funnel needs the "item-directory" blob');
    expect(funnelSectionProblem({ ...paged, itemPages: { ...paged.itemPages, rowPages: 1 } }, pagedBlobs)).toMatch(/cover itemCount/);
    expect(funnelSectionProblem({ ...paged, itemPages: { ...paged.itemPages, idPageSize: 0 } }, pagedBlobs)).toMatch(/idPageSize/);
  });
});
