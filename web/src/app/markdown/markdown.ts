// Answers as Markdown (issue 14), built from marked's tokens into nodes — never through innerHTML or an HTML parser —
// so nothing an answer says can become markup: raw HTML shows as the text it is, links keep only http(s) and mailto
// targets, images become links (no request leaves the page for them), and code blocks are highlighted by lowlight,
// which gives a tree, not HTML. The same renderer builds DOM nodes in the page and strings in the node tests.
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import csharp from "highlight.js/lib/languages/csharp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import shell from "highlight.js/lib/languages/shell";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import { createLowlight } from "lowlight";
import { lexer, type Token, type Tokens } from "marked";

/** How the renderer makes nodes: the page's DOM (`domBuilder`), or anything a test wants to look at. */
export interface Builder<N> {
  element(tag: string, attributes: Readonly<Record<string, string>>, children: readonly N[]): N;
  text(value: string): N;
}

// The languages answers about code use most; each costs bundle size (the budget is 150 KB of gzipped JavaScript).
const lowlight = createLowlight({ bash, c, cpp, csharp, css, diff, go, java, javascript, json, python, rust, shell, sql, typescript, xml, yaml });

/** Only these link targets are kept; anything else (javascript:, data:, vbscript:, relative) is text. */
const safeUrl = /^(https?:\/\/|mailto:)/i;

export function renderMarkdown<N>(source: string, b: Builder<N>): N[] {
  return blocks(lexer(source, { gfm: true }), b);
}

function blocks<N>(tokens: readonly Token[], b: Builder<N>): N[] {
  const out: N[] = [];
  for (const token of tokens) {
    const node = block(token, b);
    if (node !== null) out.push(node);
  }
  return out;
}

function block<N>(token: Token, b: Builder<N>): N | null {
  switch (token.type) {
    case "heading": {
      // The page's own headings stay above an answer's: # is an h4.
      const t = token as Tokens.Heading;
      return b.element(`h${Math.min(6, t.depth + 3)}`, {}, inline(t.tokens, b));
    }
    case "paragraph":
      return b.element("p", {}, inline((token as Tokens.Paragraph).tokens, b));
    case "text": {
      const t = token as Tokens.Text;
      return b.element("p", {}, t.tokens !== undefined ? inline(t.tokens, b) : [b.text(t.text)]);
    }
    case "code":
      return codeBlock(token as Tokens.Code, b);
    case "blockquote":
      return b.element("blockquote", {}, blocks((token as Tokens.Blockquote).tokens, b));
    case "list": {
      const t = token as Tokens.List;
      const attributes: Record<string, string> = t.ordered && typeof t.start === "number" && t.start !== 1 ? { start: String(t.start) } : {};
      return b.element(t.ordered ? "ol" : "ul", attributes, t.items.map((item) => listItem(item, t.loose, b)));
    }
    case "table": {
      const t = token as Tokens.Table;
      const cell = (tag: string, c: Tokens.TableCell) => b.element(tag, c.align === null ? {} : { class: `align-${c.align}` }, inline(c.tokens, b));
      return b.element("div", { class: "table-scroll" }, [b.element("table", {}, [
        b.element("thead", {}, [b.element("tr", {}, t.header.map((c) => cell("th", c)))]),
        b.element("tbody", {}, t.rows.map((row) => b.element("tr", {}, row.map((c) => cell("td", c))))),
      ])]);
    }
    case "hr":
      return b.element("hr", {}, []);
    case "html":
      // Raw HTML is the answer's text, shown as such.
      return b.element("p", {}, [b.text((token as Tokens.HTML).text)]);
    default:
      // space, def: nothing to show.
      return null;
  }
}

function listItem<N>(item: Tokens.ListItem, loose: boolean, b: Builder<N>): N {
  const check = item.task ? [b.text(item.checked ? "☑ " : "☐ ")] : [];
  // A tight list's items hold their text directly, a loose list's items paragraphs.
  const tokens = item.tokens.filter((t) => t.type !== "checkbox");
  const content = !loose && tokens.every((t) => t.type === "text" || t.type === "list")
    ? tokens.flatMap((t) => t.type === "text" ? inline((t as Tokens.Text).tokens ?? [], b) : blocks([t], b))
    : blocks(tokens, b);
  return b.element("li", {}, [...check, ...content]);
}

function codeBlock<N>(token: Tokens.Code, b: Builder<N>): N {
  const language = (token.lang ?? "").trim().split(/\s+/)[0]!.toLowerCase();
  const known = language !== "" && lowlight.registered(language);
  const children = known ? hast(lowlight.highlight(language, token.text).children, b) : [b.text(token.text)];
  return b.element("pre", { class: "code-block" }, [
    b.element("code", known ? { class: `hljs language-${language}` } : {}, children),
  ]);
}

type HastNode = { type: string; value?: string; tagName?: string; properties?: { className?: unknown }; children?: HastNode[] };

/** lowlight's tree to nodes: its spans (with their classes) and text; nothing else can appear in it. */
function hast<N>(nodes: readonly HastNode[], b: Builder<N>): N[] {
  return nodes.map((node) => node.type === "text"
    ? b.text(node.value ?? "")
    : b.element("span", Array.isArray(node.properties?.className) ? { class: (node.properties.className as string[]).join(" ") } : {}, hast(node.children ?? [], b)));
}

function inline<N>(tokens: readonly Token[], b: Builder<N>): N[] {
  const out: N[] = [];
  for (const token of tokens) {
    switch (token.type) {
      case "text": {
        const t = token as Tokens.Text;
        out.push(...(t.tokens !== undefined ? inline(t.tokens, b) : [b.text(t.text)]));
        break;
      }
      case "escape":
        out.push(b.text((token as Tokens.Escape).text));
        break;
      case "strong":
        out.push(b.element("strong", {}, inline((token as Tokens.Strong).tokens, b)));
        break;
      case "em":
        out.push(b.element("em", {}, inline((token as Tokens.Em).tokens, b)));
        break;
      case "del":
        out.push(b.element("del", {}, inline((token as Tokens.Del).tokens, b)));
        break;
      case "codespan":
        out.push(b.element("code", {}, [b.text((token as Tokens.Codespan).text)]));
        break;
      case "br":
        out.push(b.element("br", {}, []));
        break;
      case "link": {
        const t = token as Tokens.Link;
        const children = inline(t.tokens, b);
        out.push(safeUrl.test(t.href)
          ? b.element("a", { href: t.href, rel: "noopener noreferrer nofollow", target: "_blank" }, children)
          : b.element("span", { class: "unsafe-link" }, children));
        break;
      }
      case "image": {
        // Never loaded: a link to it, if its address is one we keep.
        const t = token as Tokens.Image;
        const label = b.text(`image: ${t.text || t.href}`);
        out.push(safeUrl.test(t.href) ? b.element("a", { href: t.href, rel: "noopener noreferrer nofollow", target: "_blank" }, [label]) : label);
        break;
      }
      default:
        // Inline HTML and anything newer than this renderer: its source, as text.
        out.push(b.text(token.raw));
    }
  }
  return out;
}
