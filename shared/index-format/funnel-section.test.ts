import { describe, expect, it } from "vitest";
import {
  covisitPageName,
  FUNNEL_BLOBS,
  FUNNEL_FORMAT_VERSION,
  type FunnelSection,
  funnelSectionProblem,
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
});
