// One provider's live answer on screen: its name, a status line, the text as it streams (appended to a text node,
// never parsed), each tool use as its own block (tool name, input summary, then its result), and a Cancel button.
import { button, h } from "../ui/dom.ts";
import { Answer, toolInputSummary, type AnswerChange, type TextPart, type ToolPart } from "./answer.ts";
import { usageLine } from "./words.ts";
import { copyButton, markdownView } from "../markdown/markdown-view.ts";

const statusWords: Record<Answer["status"], string> = {
  starting: "Starting a sandbox…",
  running: "Running…",
  done: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
};

export class AnswerView {
  readonly root: HTMLElement;
  readonly cancelButton: HTMLButtonElement;
  private readonly status: HTMLParagraphElement;
  private readonly body: HTMLDivElement;
  private readonly problem: HTMLParagraphElement;
  private readonly details: HTMLDetailsElement;
  private readonly usage: HTMLParagraphElement;
  private readonly note: HTMLParagraphElement;
  private readonly timeline: HTMLParagraphElement;
  private readonly model: HTMLSpanElement;
  private readonly textNodes = new Map<TextPart, Text>();
  private rendered = false;
  private readonly toolBlocks = new Map<ToolPart, HTMLElement>();

  constructor(readonly answer: Answer, onCancel: () => void) {
    this.status = h("p", { class: "answer-status", role: "status" }, statusWords[answer.status]);
    this.model = h("span", { class: "answer-model" });
    this.body = h("div", { class: "answer-body message-text", "aria-live": "off" });
    this.problem = h("p", { class: "answer-problem", role: "alert", hidden: true });
    this.details = h("details", { class: "answer-details", hidden: true });
    this.usage = h("p", { class: "answer-usage hint", hidden: true });
    this.note = h("p", { class: "answer-note hint", role: "status", hidden: true });
    this.timeline = h("p", { class: "answer-timeline hint", "aria-label": "Timeline" });
    this.cancelButton = button("Cancel", onCancel, { class: "secondary", "aria-label": `Cancel ${answer.providerName}` });
    this.root = h("article", { class: "answer", "data-provider": answer.provider, "aria-label": `${answer.providerName}'s answer` },
      h("header", { class: "answer-header" }, h("h3", {}, answer.providerName), this.model, this.cancelButton),
      this.status, this.timeline, this.body, this.problem, this.details, this.usage, this.note);
    this.root.dataset["status"] = answer.status;
  }

  /** Draws what `Answer.apply` changed. Returns true when this change put the answer's first text on screen. */
  show(change: AnswerChange): boolean {
    switch (change.kind) {
      case "text": {
        const first = this.textNodes.size === 0;
        let node = this.textNodes.get(change.part);
        if (node === undefined || change.isNewPart) {
          node = document.createTextNode(change.part.text);
          this.textNodes.set(change.part, node);
          this.body.append(h("span", { class: "answer-text" }, node));
        } else {
          node.appendData(change.appended);
        }
        return first;
      }
      case "tool":
        this.showTool(change.part);
        return false;
      case "status":
        this.refreshStatus();
        return false;
      case "none":
        return false;
    }
  }

  refreshStatus(): void {
    const { answer } = this;
    this.root.dataset["status"] = answer.status;
    this.status.textContent = answer.retrying !== "" && !answer.isFinished ? answer.retrying : statusWords[answer.status];
    this.model.textContent = answer.model ?? "";
    this.cancelButton.hidden = answer.isFinished;
    this.problem.hidden = answer.problem === "";
    this.problem.textContent = answer.problem;
    this.timeline.textContent = answer.phases.map((p) => `${p.name} ${(p.ms / 1000).toFixed(1)} s`).join(" · ");
    const usage = answer.isFinished ? usageLine(answer.usage) : "";
    this.usage.hidden = usage === "";
    this.usage.textContent = usage;
    this.note.hidden = answer.note === "";
    this.note.textContent = answer.note;
    const detail = answer.failure?.detail;
    this.details.hidden = detail === undefined || detail === "";
    if (!this.details.hidden) {
      // What the CLI said, for those who want it: behind a disclosure, as text (never parsed as HTML).
      this.details.replaceChildren(h("summary", {}, "Details"), h("p", { class: "hint" }, `${answer.failure!.kind}: ${detail!}`));
    }
    if (answer.isFinished && answer.status === "done" && answer.text === "") {
      this.body.append(h("p", { class: "hint" }, `${answer.providerName} finished without an answer.`));
    }
    if (answer.isFinished && !this.rendered) this.renderMarkdown();
  }

  /**
   * Once the answer is complete, each text part is shown as Markdown in place of its streamed text (partial Markdown
   * would reflow as it grows), and the answer gets a Copy button for its text as written.
   */
  private renderMarkdown(): void {
    this.rendered = true;
    for (const [part, node] of this.textNodes) {
      node.parentElement?.replaceWith(markdownView(part.text));
    }
    if (this.answer.text !== "") {
      this.cancelButton.after(copyButton("Copy answer", () => this.answer.text));
    }
  }

  private showTool(part: ToolPart): void {
    let block = this.toolBlocks.get(part);
    if (block === undefined) {
      const summary = toolInputSummary(part.input);
      block = h("details", { class: "tool" },
        h("summary", {},
          h("span", { class: "tool-label" }, "Tool"), " ",
          h("code", { class: "tool-name" }, part.name),
          summary === "" ? null : h("span", { class: "tool-input" }, summary),
          h("span", { class: "tool-state" }, "running")));
      this.toolBlocks.set(part, block);
      this.body.append(block);
    }
    if (part.result !== undefined) {
      const state = block.querySelector(".tool-state");
      if (state !== null) state.textContent = part.result.isError ? "failed" : "done";
      block.dataset["result"] = part.result.isError ? "error" : "ok";
      block.querySelector("pre")?.remove();
      block.append(h("pre", { class: "tool-output" }, part.result.output === "" ? "(no output)" : part.result.output));
    }
  }
}
