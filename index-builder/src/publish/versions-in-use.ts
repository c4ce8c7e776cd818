/**
 * Versions something other than the pointers still references. Experiments
 * (a variant pinning an index version) have not landed yet: the null object
 * below answers none, and the experiments module supplies the real one
 * (their variants' pinned versions) when it lands.
 */
export interface VersionReferences {
  referencedVersions(): Promise<Set<string>>;
}

export const NO_REFERENCES: VersionReferences = { referencedVersions: async () => new Set() };
