// Tiny DOM helpers. Text only ever goes in as text nodes (textContent), never parsed as HTML: decrypted content is
// untrusted, and the CSP requires Trusted Types for anything that would parse markup.

export type Child = Node | string | number | null | undefined | false;
export type Attributes = Readonly<Record<string, string | number | boolean | null | undefined>>;

/**
 * Creates an element with attributes (true = present, false/null/undefined = absent) and children (strings become
 * text nodes). Event handler attributes and `style` are refused: handlers are added with addEventListener, styles
 * come from styles.css or element.style, both of which the CSP allows.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (/^on/i.test(name) || name.toLowerCase() === "style") throw new Error(`h(): set ${name} from code, not as an attribute.`);
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
}

let lastId = 0;

/** A document-unique id, for label/for and aria-describedby pairs. */
export function uid(prefix: string): string {
  lastId += 1;
  return `${prefix}-${lastId}`;
}

/** A button that is not a submit button unless asked. */
export function button(label: string, onClick?: (event: MouseEvent) => void, attributes: Attributes = {}): HTMLButtonElement {
  const b = h("button", { type: "button", ...attributes }, label);
  if (onClick) b.addEventListener("click", onClick);
  return b;
}

/** An in-app link: the router intercepts clicks on same-origin links, so it is a real <a href> for keyboard and middle-click. */
export function link(href: string, label: string, attributes: Attributes = {}): HTMLAnchorElement {
  return h("a", { href, ...attributes }, label);
}

export interface FieldOptions {
  readonly label: string;
  readonly name: string;
  readonly type?: "text" | "email" | "password" | "number" | "url" | "search";
  readonly autocomplete?: string;
  readonly required?: boolean;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly min?: number;
  readonly max?: number;
  readonly value?: string;
  readonly hint?: string;
  readonly placeholder?: string;
  readonly multiline?: boolean;
  readonly inputMode?: string;
  readonly spellcheck?: boolean;
}

/** A labelled input (<label for>), with an optional hint tied to it by aria-describedby. */
export function field(options: FieldOptions): { root: HTMLDivElement; input: HTMLInputElement | HTMLTextAreaElement } {
  const id = uid(options.name);
  const hintId = options.hint ? `${id}-hint` : null;
  const common = {
    id, name: options.name, required: options.required ?? false, autocomplete: options.autocomplete ?? "off",
    minlength: options.minLength, maxlength: options.maxLength, placeholder: options.placeholder,
    "aria-describedby": hintId, inputmode: options.inputMode,
    spellcheck: options.spellcheck === undefined ? undefined : String(options.spellcheck),
  };
  const input = options.multiline
    ? h("textarea", { ...common, rows: 6 })
    : h("input", { ...common, type: options.type ?? "text", min: options.min, max: options.max });
  if (options.value !== undefined) input.value = options.value;
  const root = h("div", { class: "field" },
    h("label", { for: id }, options.label),
    options.hint ? h("p", { class: "hint", id: hintId }, options.hint) : null,
    input);
  return { root, input };
}

/** A required checkbox with its label, e.g. "I understand". */
export function checkbox(label: string, name: string, required = true): { root: HTMLDivElement; input: HTMLInputElement } {
  const id = uid(name);
  const input = h("input", { type: "checkbox", id, name, required });
  return { root: h("div", { class: "check" }, input, h("label", { for: id }, label)), input };
}

/** The page's heading; focusable from code so navigation can move focus (and screen readers) to it. */
export function heading(text: string, level: 1 | 2 | 3 = 1): HTMLHeadingElement {
  return h(`h${level}`, level === 1 ? { tabindex: -1 } : {}, text);
}
