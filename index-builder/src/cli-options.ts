/**
 * A command-line value that must be one of `allowed`: undefined stays
 * undefined (the option was not given); anything else not listed is refused
 * with a message naming the flag and its choices.
 */
export function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value !== undefined && !(allowed as readonly string[]).includes(value)) throw new Error(`${flag} must be one of ${allowed.join(", ")}`);
  return value as T | undefined;
}

/** The build's `ranker` option from `--ranker auto|always|off` (absent: auto, ship the heavy ranker only when validation chooses it). */
export function rankerMode(value: string | undefined): boolean | "always" {
  const mode = oneOf("--ranker", value, ["auto", "always", "off"] as const) ?? "auto";
  return mode === "off" ? false : mode === "always" ? "always" : true;
}
