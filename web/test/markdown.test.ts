// Issue 14: answers as Markdown, built from tokens so nothing in an answer becomes markup. A string builder stands in
// for the DOM: what the page would build, as text a test can compare.
import assert from "node:assert/strict";
import { test } from "node:test";
import { renderMarkdown, type Builder } from "../src/app/markdown/markdown.ts";

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const html: Builder<string> = {
  element: (tag, attributes, children) =>
    `<${tag}${Object.entries(attributes).map(([k, v]) => ` ${k}="${escape(v)}"`).join("")}>${children.join("")}</${tag}>`,
  text: escape,
};
const render = (source: string) => renderMarkdown(source, html).join("");

test("the usual Markdown renders: headings under the page's, emphasis, lists, tables, quotes, code", () => {
  assert.equal(render("# Title\n\nSome **bold**, *em*, ~~gone~~ and `code`."),
    "<h4>Title</h4><p>Some <strong>bold</strong>, <em>em</em>, <del>gone</del> and <code>code</code>.</p>");
  assert.equal(render("1. one\n2. two\n\n- [x] done\n- [ ] todo"),
    "<ol><li>one</li><li>two</li></ol><ul><li>☑ done</li><li>☐ todo</li></ul>");
  assert.equal(render("| a | b |\n|:-:|--:|\n| 1 | 2 |"),
    '<div class="table-scroll"><table><thead><tr><th class="align-center">a</th><th class="align-right">b</th></tr></thead><tbody><tr><td class="align-center">1</td><td class="align-right">2</td></tr></tbody></table></div>');
  assert.equal(render("> quoted"), "<blockquote><p>quoted</p></blockquote>");
  assert.equal(render("[docs](https://example.com/a?b=1)"),
    '<p><a href="https://example.com/a?b=1" rel="noopener noreferrer nofollow" target="_blank">docs</a></p>');
});

test("a code block is highlighted as a tree of spans; an unknown language stays plain text", () => {
  const highlighted = render("```js\nconst a = \"x\"; // note\n```");
  assert.match(highlighted, /^<pre class="code-block"><code class="hljs language-js"><span class="hljs-keyword">const<\/span> a = <span class="hljs-string">&quot;x&quot;<\/span>; <span class="hljs-comment">\/\/ note<\/span><\/code><\/pre>$/);
  assert.equal(render("```nosuchlanguage\n<b>as is</b>\n```"), '<pre class="code-block"><code>&lt;b&gt;as is&lt;/b&gt;</code></pre>');
});

test("hostile input stays text: raw HTML, script URLs, event handlers, images that would load", () => {
  const hostile = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "text <b onmouseover=alert(1)>hover</b> text",
    "[click](javascript:alert(1)) [data](data:text/html,<script>alert(1)</script>) [vb](VBScript:msgbox) [rel](/api/account)",
    "![tracker](https://tracker.example/pixel.png) ![local](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
  ].join("\n\n");
  const out = render(hostile);
  // Nothing but the renderer's own tags; no attribute the renderer did not write.
  const tags = [...out.matchAll(/<([a-z0-9]+)[\s>]/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(tags)].sort(), ["a", "p", "span"]);
  assert.doesNotMatch(out, /<(script|img|iframe|b)\b/);
  assert.doesNotMatch(out, /<[^>]*\son[a-z]+=/); // in a tag; as escaped text it is only words
  assert.doesNotMatch(out, /href="(javascript|data|vbscript):/i);
  assert.doesNotMatch(out, /href="\/api/);
  // The raw HTML is there as text, escaped, for the user to read.
  assert.match(out, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  // The image became a link to it (never loaded); the script-URL one plain text.
  assert.match(out, /<a href="https:\/\/tracker\.example\/pixel\.png"[^>]*>image: tracker<\/a>/);
  assert.match(out, /image: local/);
  assert.match(out, /<span class="unsafe-link">click<\/span>/);
});
