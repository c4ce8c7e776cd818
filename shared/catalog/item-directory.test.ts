import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SeededRandom } from "../seeded-random";
import { encodeItemPages, encodeItemPagesOfColumns, HOT_ROWS, pagedItemLookup } from "./item-directory";
import { decodeItemPage, encodeItemPage, encodeItemPageOfRows, itemColumnsOf, type ItemPageEntry, pageIdAt, searchPage } from "./item-page";
import { orderItemRows } from "./item-table";

/** n items with ids of mixed lengths and scripts, random facts; the paged table over them, pages read from memory. */
function pagedTable(n: number, pageSize: number) {
  const random = new SeededRandom(11);
  const items = Array.from({ length: n }, (_, i) => ({
    itemId: i % 7 === 0 ? `é-${i}` : `item-${(i * 7919) % 100_003}`,
    popularity: Math.floor(random.next() * 50),
    categoryMask: random.int(1 << 20),
    year: 1950 + random.int(70),
    available: random.next() > 0.2,
  }));
  const ordered = orderItemRows(items);
  const encoded = encodeItemPages(
    ordered.map(({ row, k }) => ({ ...row, idRank: k })),
    { rowPageSize: pageSize, idPageSize: pageSize },
  );
  const reads: string[] = [];
  const missing = new Set<string>();
  const table = pagedItemLookup(
    decodeItemPage(encoded.head),
    { ...encoded.section, itemCount: n, categoryCount: 20 },
    async (kind, p) => {
      const name = `${kind}-${p}`;
      reads.push(name);
      if (missing.has(name)) return { fault: "missing" };
      return { value: decodeItemPage((kind === "rows" ? encoded.rowPages : encoded.idPages)[p]!) };
    },
    (kind, p) => `${kind}-${p}`,
  );
  return { items, order: ordered.map((x) => x.row.itemId), encoded, table, reads, missing };
}

describe("item pages", () => {
  it("round-trip entries and find each id, and the floor of any key, by binary search", () => {
    const entries = ["a", "ab", "b", "bé", "c"].map((itemId, row) => ({
      itemId,
      row: row * 3,
      categoryMask: 1 << row,
      popularity: row / 2,
      year: 2000 + row,
      available: row % 2 === 0,
    }));
    const page = decodeItemPage(encodeItemPage(entries).slice());
    const key = (s: string) => new TextEncoder().encode(s);
    entries.forEach((e, k) => {
      expect(searchPage(page, key(e.itemId))).toBe(k);
      expect([pageIdAt(page, k), page.rows[k], page.categoryMask[k], page.popularity[k], page.year[k], page.flags[k]]).toEqual([
        e.itemId,
        e.row,
        e.categoryMask,
        e.popularity,
        e.year,
        e.available ? 1 : 0,
      ]);
    });
    expect(searchPage(page, key("aa"))).toBe(-1);
    expect(searchPage(page, key("aa"), true)).toBe(0);
    expect(searchPage(page, key("0"), true)).toBe(-1);
    expect(searchPage(page, key("z"), true)).toBe(4);
  });

  it("refuse bytes that are not a page", () => {
    const bytes = encodeItemPage([{ itemId: "x", row: 0, categoryMask: 0, popularity: 0, year: 0, available: true }]);
    expect(() => decodeItemPage(bytes.subarray(0, bytes.byteLength - 1))).toThrow(/item page/);
    expect(() => decodeItemPage(new Uint8Array(16))).toThrow(/item page/);
  });
});

describe("the paged item table", () => {
  it("answers every id and row as the whole order does, reading only the pages asked for and the hot rows", async () => {
    const { items, order, table, reads, encoded } = pagedTable(20_000, 128);
    expect(encoded.section).toEqual({ rowPageSize: 128, rowPages: 157, idPageSize: 128, idPages: 157, hotRows: HOT_ROWS });
    const byId = new Map(items.map((x) => [x.itemId, x]));
    const view = table.view();
    const some = [order[0]!, order[19_999]!, order[12_345]!, order[HOT_ROWS - 1]!, "item-nope", "", "zzz"];
    expect(await view.prepare(some, [])).toEqual([]);
    // The hot rows' pages (once per table), then at most one id page per id they do not hold.
    const hotPages = Array.from({ length: HOT_ROWS / 128 }, (_, p) => `rows-${p}`);
    expect(reads.filter((r) => r.startsWith("rows-")).sort()).toEqual(hotPages.sort());
    expect(reads.filter((r) => r.startsWith("ids-")).length).toBeLessThanOrEqual(5);
    for (const id of some) {
      const row = view.rowOf(id);
      expect(row).toBe(order.indexOf(id));
      if (row < 0) continue;
      const item = byId.get(id)!;
      expect([view.idAt(row), view.categoryMask(row), view.popularity(row), view.year(row), view.available(row)]).toEqual([
        id,
        item.categoryMask,
        item.popularity,
        item.year,
        item.available,
      ]);
    }
    // Rows: one row page for 13000 and 13001; 19999 is known from its id page already. A later view starts empty.
    reads.length = 0;
    expect(await view.prepare([], [13_000, 13_001, 19_999])).toEqual([]);
    expect(reads).toEqual(["rows-101"]);
    expect([13_000, 13_001, 19_999].map((r) => view.idAt(r))).toEqual([order[13_000], order[13_001], order[19_999]]);
    expect(table.view().idAt(13_000)).toBeNull();
    // Every id, through a fresh view, without reading the hot rows again.
    reads.length = 0;
    const all = table.view();
    await all.prepare(order, []);
    expect(order.every((id, row) => all.rowOf(id) === row)).toBe(true);
    expect(reads.every((r) => r.startsWith("ids-"))).toBe(true);
  });

  it("prepares rows from adopted facts pages without reading their row pages, and reads the rest", async () => {
    const { order, table, reads, encoded } = pagedTable(20_000, 128);
    const view = table.view();
    await view.prepare([], []);
    reads.length = 0;
    // A facts page as the builder stores in ANN shards and co-visitation pages: some rows' entries, ascending.
    const held = [9_000, 9_500, 15_001, 18_777];
    const rowPage = (row: number) => decodeItemPage(encoded.rowPages[Math.floor(row / 128)]!);
    const facts = decodeItemPage(
      encodeItemPage(
        held.map((row) => {
          const page = rowPage(row);
          const k = row % 128;
          return {
            itemId: pageIdAt(page, k),
            row,
            categoryMask: page.categoryMask[k]!,
            popularity: page.popularity[k]!,
            year: page.year[k]!,
            available: page.flags[k] === 1,
          };
        }),
      ),
    );
    view.adopt([facts]);
    expect(await view.prepare([], [...held, 11_000])).toEqual([]);
    expect(reads).toEqual(["rows-85"]);
    expect([...held, 11_000].map((r) => view.idAt(r))).toEqual([...held, 11_000].map((r) => order[r]));
    expect(held.map((r) => view.rowOf(order[r]!))).toEqual(held);
    expect(view.popularity(15_001)).toBe(rowPage(15_001).popularity[15_001 % 128]);
    // Adopted pages belong to the view that adopted them.
    reads.length = 0;
    const other = table.view();
    await other.prepare([], [9_000]);
    expect(reads).toEqual(["rows-70"]);
  });

  it("names an unusable page and leaves only its ids and rows unknown", async () => {
    const { order, table, missing } = pagedTable(1000, 100);
    missing.add("rows-0");
    missing.add("ids-0");
    const view = table.view();
    const firstId = [...order].sort()[0]!;
    const degraded = await view.prepare([firstId, order[999]!], [0, 999]);
    expect(degraded).toEqual(["ids-0_missing", "rows-0_missing"]);
    expect(view.rowOf(firstId)).toBe(-1);
    expect(view.idAt(0)).toBeNull();
    expect(view.idAt(999)).toBe(order[999]);
  });
});

describe("item pages from columns", () => {
  const entry = fc.record({
    itemId: fc.string({ unit: "binary", maxLength: 6 }),
    categoryMask: fc.nat(),
    popularity: fc.double({ noNaN: true }),
    year: fc.integer({ min: -10, max: 70_000 }),
    available: fc.boolean(),
  });

  it("are the bytes of the same entries encoded one object each", () => {
    fc.assert(
      fc.property(fc.uniqueArray(entry, { selector: (e) => e.itemId, minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 9 }), (entries, size) => {
        const ordered = orderItemRows(entries);
        const rows = ordered.map(({ row, k }) => ({ ...row, idRank: k }));
        const columns = itemColumnsOf(rows);
        const byId = new Uint32Array(rows.length);
        rows.forEach((r, row) => (byId[r.idRank] = row));
        const encoded = encodeItemPagesOfColumns(columns, byId, { rowPageSize: size, idPageSize: size });
        // What encodeItemPages wrote before it read columns: each page one object per entry.
        const objects: ItemPageEntry[] = rows.map(({ idRank: _, ...r }, row) => ({ ...r, row }));
        const byIdObjects = Array.from(byId, (row) => objects[row]!);
        const pagesOf = (list: ItemPageEntry[]) =>
          Array.from({ length: Math.ceil(list.length / size) }, (_, p) => encodeItemPage(list.slice(p * size, (p + 1) * size)));
        expect(encoded.rowPages).toEqual(pagesOf(objects));
        expect(encoded.idPages).toEqual(pagesOf(byIdObjects));
        const firsts = encoded.idPages.map((_, p) => ({
          itemId: byIdObjects[p * size]!.itemId,
          row: p,
          categoryMask: 0,
          popularity: 0,
          year: 0,
          available: false,
        }));
        expect(encoded.head).toEqual(encodeItemPage(firsts));
        expect(encodeItemPages(rows, { rowPageSize: size, idPageSize: size })).toEqual(encoded);
        // A facts page: any rows, in the order asked.
        const picked = Uint32Array.from(rows.keys()).filter((row) => row % 3 !== 1);
        expect(encodeItemPageOfRows(columns, picked)).toEqual(encodeItemPage(Array.from(picked, (row) => objects[row]!)));
      }),
      { numRuns: 200 },
    );
  });
});
