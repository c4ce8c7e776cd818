/** FNV-1a over a string's UTF-16 code units: 32 bits, unsigned. Fast and well spread; not for anything adversarial. */
export function fnv1a32(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
