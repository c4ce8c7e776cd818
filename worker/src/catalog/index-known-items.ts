import { categoriesOf } from "../../../shared/catalog/item-lookup";
import { loadFunnelHead } from "../index-store/funnel-store";
import { loadCurrentIndex } from "../index-store/index-cache";

/**
 * Which of these items the live index holds, with their categories, for
 * the events route while D1 cannot be read: an item the index was built
 * with existed in the catalog then, so its events are not made up. Items
 * added to the catalog since, or an index that cannot be read (KV failing
 * too), leave those items out; the route asks for them again later.
 */
export async function indexKnownItems(kv: KVNamespace, itemIds: readonly string[]): Promise<Map<string, { categories: string[] }>> {
  const out = new Map<string, { categories: string[] }>();
  if (itemIds.length === 0) return out;
  try {
    const index = await loadCurrentIndex(kv);
    if (!index) return out;
    const head = await loadFunnelHead(kv, index.manifest);
    if ("degraded" in head) return out;
    const table = head.table.view();
    await table.prepare(itemIds, []);
    for (const id of new Set(itemIds)) {
      const row = table.rowOf(id);
      if (row >= 0) out.set(id, { categories: categoriesOf(table, row).map((k) => head.section.categories[k]!) });
    }
  } catch {
    // KV fails as well: nothing more is known.
  }
  return out;
}
