/**
 * Records keyed by data: item ids, categories, surfaces, JSON keys. A plain
 * object inherits `constructor`, `toString`, `__proto__` ... from
 * Object.prototype, so `record[key]` and `key in record` answer for keys
 * nobody stored (an item named "constructor" reads as a function), and
 * writing `record["__proto__"]` replaces the prototype instead of storing a
 * value. Read such records with ownValue; build them with dataRecord (or a
 * Map).
 */

/** The value stored under `key` in `record` itself, never one Object.prototype lends. */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** An empty record without a prototype: every key, "__proto__" included, reads and writes as data. */
export function dataRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
