/**
 * A column's name as the import compares it: lower case, letters and digits
 * only, so `userID`, `UserId`, `user_id` and `user-id` are one name.
 */
export function columnKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/**
 * The column of `keys` that the first matching alias names: an exact match
 * of some alias wins over a loose one (columnKey), so a file holding both
 * `user_id` and `UserId` keeps the spelling the aliases list first; among
 * loose matches, the first alias in order, then the first column in file order.
 */
export function findColumn(keys: readonly string[], aliases: readonly string[]): string | undefined {
  const exact = aliases.find((a) => keys.includes(a));
  if (exact !== undefined) return exact;
  for (const alias of aliases) {
    const key = columnKey(alias);
    const loose = keys.find((k) => columnKey(k) === key);
    if (loose !== undefined) return loose;
  }
  return undefined;
}
