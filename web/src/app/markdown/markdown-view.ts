// Markdown in the page: the renderer's nodes as DOM (createElement and text nodes only), and a Copy button on each
// code block. Clipboard writes need the page's own user gesture: a click.
import { h } from "../ui/dom.ts";
import { renderMarkdown, type Builder } from "./markdown.ts";

const domBuilder: Builder<Node> = {
  element(tag, attributes, children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
    element.append(...children);
    return element;
  },
  text: (value) => document.createTextNode(value),
};

/** `text` as Markdown in a `div.markdown`, each code block with its Copy button. */
export function markdownView(text: string): HTMLDivElement {
  const root = h("div", { class: "markdown" });
  root.append(...renderMarkdown(text, domBuilder));
  for (const pre of root.querySelectorAll("pre.code-block")) {
    const code = pre.querySelector("code")?.textContent ?? "";
    pre.before(h("div", { class: "code-actions" }, copyButton("Copy code", () => code)));
  }
  return root;
}

/** A button that copies what `text` gives when clicked, and says so (or that the browser would not). */
export function copyButton(label: string, text: () => string): HTMLButtonElement {
  const button = h("button", { type: "button", class: "secondary copy" }, label);
  button.addEventListener("click", () => {
    navigator.clipboard.writeText(text()).then(
      () => { button.textContent = "Copied"; setTimeout(() => { button.textContent = label; }, 1500); },
      () => { button.textContent = "Copy failed"; setTimeout(() => { button.textContent = label; }, 1500); });
  });
  return button;
}
