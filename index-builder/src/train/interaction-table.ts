/**
 * Interactions in columnar form with dense 0-based user and item indices, the
 * shape every trainer and evaluator here works on. Row r is
 * (users[r], items[r], values[r], timestampsSec[r]); all columns have the same
 * length and keep the source's row order (the MSR split depends on it).
 */
export interface InteractionTable {
  /** External user id of each dense user index, sorted (numerically when all ids are numbers). */
  userIds: string[];
  /** External item id of each dense item index, sorted the same way. */
  itemIds: string[];
  users: Uint32Array;
  items: Uint32Array;
  /** Rating, or an event's signed preference weight (negative = dislike). */
  values: Float32Array;
  timestampsSec: Float64Array;
}

export interface RawInteraction {
  userId: string;
  itemId: string;
  value: number;
  timestampSec: number;
}

/**
 * Builds a table from rows in source order. Dense indices follow sorted
 * external ids, so "ties go to the lower item id" is "ties go to the lower index".
 * `extraItemIds` adds catalogue items that have no interaction.
 */
export function tableFromRows(rows: readonly RawInteraction[], extraItemIds: readonly string[] = []): InteractionTable {
  const userIds = sortIds(new Set(rows.map((r) => r.userId)));
  const itemIds = sortIds(new Set([...rows.map((r) => r.itemId), ...extraItemIds]));
  const userIndex = new Map(userIds.map((id, i) => [id, i]));
  const itemIndex = new Map(itemIds.map((id, i) => [id, i]));
  const n = rows.length;
  const table: InteractionTable = {
    userIds,
    itemIds,
    users: new Uint32Array(n),
    items: new Uint32Array(n),
    values: new Float32Array(n),
    timestampsSec: new Float64Array(n),
  };
  rows.forEach((r, i) => {
    table.users[i] = userIndex.get(r.userId) ?? 0;
    table.items[i] = itemIndex.get(r.itemId) ?? 0;
    table.values[i] = r.value;
    table.timestampsSec[i] = r.timestampSec;
  });
  return table;
}

/** The rows whose mask byte equals `keep`, same id spaces, source order. */
export function selectRows(table: InteractionTable, mask: Uint8Array, keep: number): InteractionTable {
  let n = 0;
  for (let r = 0; r < mask.length; r++) if (mask[r] === keep) n++;
  const out: InteractionTable = {
    userIds: table.userIds,
    itemIds: table.itemIds,
    users: new Uint32Array(n),
    items: new Uint32Array(n),
    values: new Float32Array(n),
    timestampsSec: new Float64Array(n),
  };
  let j = 0;
  for (let r = 0; r < mask.length; r++) {
    if (mask[r] !== keep) continue;
    out.users[j] = table.users[r] ?? 0;
    out.items[j] = table.items[r] ?? 0;
    out.values[j] = table.values[r] ?? 0;
    out.timestampsSec[j] = table.timestampsSec[r] ?? 0;
    j++;
  }
  return out;
}

export function rowCount(table: InteractionTable): number {
  return table.users.length;
}

function sortIds(ids: Set<string>): string[] {
  const list = [...ids];
  const numeric = list.every((id) => /^\d+$/.test(id));
  return numeric ? list.sort((a, b) => Number(a) - Number(b)) : list.sort();
}
