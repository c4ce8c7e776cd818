type Child = Node | string | null;

/** An element with attributes (strings; `class` included) and children; text is always set as text, never parsed as HTML. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) if (child !== null) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  return node;
}

/**
 * The element with this id, of the expected type. Unconstrained because the
 * client's types bring in the Workers' global `Element` (HTMLRewriter's),
 * which merges with the DOM's and makes form elements no longer HTMLElements
 * to the type checker.
 */
export function byId<T = HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node as unknown as T;
}
