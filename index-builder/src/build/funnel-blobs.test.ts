import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CatalogItem } from "../../../shared/catalog/catalog-item";
import { encodeItemPages } from "../../../shared/catalog/item-directory";
import { encodeItemPage } from "../../../shared/catalog/item-page";
import { encodeItemTable, orderItemRows } from "../../../shared/catalog/item-table";
import { FUNNEL_BLOBS, ITEM_DIRECTORY_BLOB, itemPageName } from "../../../shared/index-format/funnel-section";
import { buildFunnelBlobs, DEFAULT_PAGES, funnelItemsOf, idByteOrder, MAX_PAGES_PER_KIND, scaledPages, tableOrder } from "./funnel-blobs";

describe("page sizes", () => {
  it("stay as configured up to a million items and grow past it so no kind has more than MAX_PAGES_PER_KIND pages", () => {
    expect(scaledPages(DEFAULT_PAGES, 1_000_000)).toEqual(DEFAULT_PAGES);
    for (const n of [2_000_000, 10_000_000, 50_000_000]) {
      const pages = scaledPages(DEFAULT_PAGES, n);
      for (const kind of ["vectorPageSize", "covisitPageSize", "titlePageSize", "itemPageSize"] as const) {
        expect(Math.ceil(n / pages[kind])).toBeLessThanOrEqual(MAX_PAGES_PER_KIND);
        expect(pages[kind] % DEFAULT_PAGES[kind]).toBe(0);
      }
    }
  });
});

describe("the item-table order from columns", () => {
  it("is orderItemRows' order (popularity down, ties in UTF-8 byte order of the ids), for any ids", () => {
    // Ids drawn from ASCII, the BMP past the surrogates and astral planes: where UTF-16 order and byte order part.
    const id = fc.string({ unit: fc.constantFrom("a", "b", "z", "é", "\uE000", "\uFFFD", "😀", "𝒜"), maxLength: 4 });
    const popularity = fc.constantFrom(0, 1, 1.5, 2, -0, 7.25);
    fc.assert(
      fc.property(fc.uniqueArray(fc.record({ itemId: id, popularity }), { selector: (r) => r.itemId, maxLength: 40 }), (rows) => {
        const ids = rows.map((r) => r.itemId);
        const order = tableOrder(
          Float64Array.from(rows, (r) => r.popularity),
          idByteOrder(ids),
        );
        expect(Array.from(order, (i) => ids[i])).toEqual(orderItemRows(rows).map((x) => x.row.itemId));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses a duplicate id, compared as strings or as bytes", () => {
    expect(() => idByteOrder(["a", "b", "a"])).toThrow(/duplicate item id a/);
    expect(() => idByteOrder(["😀", "x", "😀"])).toThrow(/duplicate item id 😀/);
  });
});

describe("funnel blobs from item columns", () => {
  const catalog = (n: number): CatalogItem[] =>
    Array.from({ length: n }, (_, i) => ({
      itemId: i % 5 === 0 ? `é${i}` : `it${(i * 37) % 101}-${i}`,
      title: `Title ${i}`,
      categories: [["A"], ["B", "A"], [], ["C", "Z-unknown"]][i % 4]!,
      year: i % 3 === 0 ? null : 1990 + i,
      tags: [],
      available: i % 7 !== 0,
    }));
  const inputs = (n: number) => {
    const items = catalog(n);
    // One id the catalogue lacks: empty facts, available.
    const itemIds = [...items.map((x) => x.itemId).reverse(), "orphan"];
    const dims = 2;
    const embeddings = {
      dims,
      itemIds,
      itemVectors: Float32Array.from({ length: itemIds.length * dims }, (_, k) => k % 7),
      gram: new Float32Array(dims * dims),
      params: { alpha: 1, regularization: 0.1, regExponent: 0 },
    };
    const covisit = {
      offsets: Uint32Array.from({ length: itemIds.length + 1 }, (_, i) => 2 * i),
      neighbors: Uint32Array.from({ length: 2 * itemIds.length }, (_, k) => (k * 13) % itemIds.length),
      scores: Float32Array.from({ length: 2 * itemIds.length }, (_, k) => 1 / (1 + k)),
    };
    const popularity = new Map(itemIds.map((id, i) => [id, i % 4 === 0 ? 3 : (i * 7) % 11]));
    return { items, itemIds, embeddings, covisit, popularity };
  };
  // What buildFunnelBlobs made before it read columns: one ItemTableRow per item, then the object encoders.
  const objectRows = (items: CatalogItem[], itemIds: string[], popularity: Map<string, number>, categories: string[]) => {
    const facts = new Map(items.map((x) => [x.itemId, x]));
    return itemIds.map((itemId) => {
      const item = facts.get(itemId);
      return {
        itemId,
        categories: (item?.categories ?? []).flatMap((c) => (categories.includes(c) ? [categories.indexOf(c)] : [])),
        year: item?.year ?? null,
        popularity: popularity.get(itemId) ?? 0,
        available: item?.available ?? true,
      };
    });
  };

  it("gives a paged table the bytes the per-item objects gave, and facts pages of them", () => {
    const { items, itemIds, embeddings, covisit, popularity } = inputs(300);
    const built = buildFunnelBlobs({ items }, embeddings, covisit, popularity, { ...DEFAULT_PAGES, wholeItemTableMax: 0, itemPageSize: 64 });
    const columns = funnelItemsOf(items, itemIds, popularity);
    expect(columns.categories).toEqual(["A", "B", "C", "Z-unknown"]);
    const ordered = orderItemRows(objectRows(items, itemIds, popularity, columns.categories));
    const entries = ordered.map(({ row, k }) => ({
      itemId: row.itemId,
      categoryMask: row.categories.reduce((mask, c) => (mask | (1 << c)) >>> 0, 0),
      popularity: row.popularity,
      year: row.year ?? 0,
      available: row.available,
      idRank: k,
    }));
    const expected = encodeItemPages(entries, { rowPageSize: 64, idPageSize: 64 });
    expect(built.blobs.get(ITEM_DIRECTORY_BLOB)!.bytes).toEqual(expected.head);
    expected.rowPages.forEach((bytes, p) => expect(built.blobs.get(itemPageName("rows", p))!.bytes).toEqual(bytes));
    expected.idPages.forEach((bytes, p) => expect(built.blobs.get(itemPageName("ids", p))!.bytes).toEqual(bytes));
    expect(Array.from(built.order, (i) => itemIds[i])).toEqual(ordered.map((x) => x.row.itemId));
    expect(Array.from(built.tableRows, (row) => built.order[row])).toEqual(itemIds.map((_, i) => i));
    const rows = Uint32Array.from([0, 5, 77, 299, 300]);
    expect(built.factsPage!(rows)).toEqual(encodeItemPage(Array.from(rows, (row) => ({ ...entries[row]!, row }))));
  });

  it("gives a whole table the bytes the per-item objects gave", () => {
    const { items, itemIds, embeddings, covisit, popularity } = inputs(120);
    const built = buildFunnelBlobs({ items }, embeddings, covisit, popularity);
    const categories = built.section.categories;
    expect(built.blobs.get(FUNNEL_BLOBS.itemTable)!.bytes).toEqual(
      encodeItemTable(objectRows(items, itemIds, popularity, categories), categories.length).bytes,
    );
    expect(built.factsPage).toBeNull();
  });
});
