// One chat: its messages decrypted in the page, and the composer that runs a prompt through one provider or
// several at once (perspectives). When the answers are in, the prompt and each answer are saved to the chat,
// sealed under userKey. A run that gives no answer keeps the prompt in the composer.
import { userMessage } from "../api/errors.ts";
import { button, h, heading, link, uid } from "../ui/dom.ts";
import { Notice } from "../ui/feedback.ts";
import { loadCredentialOptions, openRunCredential, type CredentialOption } from "../run/credential-choice.ts";
import type { CredentialWriteBack, RunRequest } from "../run/execution-run.ts";
import { ExecutionsClient } from "../run/executions.ts";
import { conversationHistory } from "../run/history.ts";
import { PerspectivesRun, type Perspective } from "../run/perspectives.ts";
import { providerIds, providerName } from "../run/words.ts";
import { ChatVault, type Chat, type ChatMessageBody } from "../vault/chats.ts";
import { openRefresh, replaceRefreshed } from "../vault/connected-accounts.ts";
import type { RuntimesResponse } from "../api/types.ts";
import { chatTitle, deleteConfirm, renameForm } from "./chat-actions.ts";
import { conversationItems, messageView } from "./conversation.ts";
import type { Page, PageContext } from "./page.ts";

export function chatPage(): Page {
  let active: PerspectivesRun | null = null;
  return {
    id: "run",
    title: "Chat",
    render: (ctx) => render(ctx, (run) => { active = run; }),
    // Leaving the page (or locking it) stops the runs: their answers could not be saved without the keys.
    dispose: () => active?.dispose(),
  };
}

function render(ctx: PageContext, setActive: (run: PerspectivesRun | null) => void): HTMLElement {
  const chatId = ctx.params["chatId"] ?? "";
  const vault = new ChatVault(ctx.api, ctx.keys);
  const executions = new ExecutionsClient(ctx.api);
  const notice = new Notice();
  const title = heading("Chat");
  const headerActions = h("div", { class: "actions chat-actions" });
  const headerExtra = h("div");
  const conversation = h("ol", { class: "conversation", "aria-label": "Messages" });
  const loading = h("p", { class: "hint", role: "status" }, "Decrypting messages…");
  const composer = new Composer();
  const root = h("section", { class: "page chat-page" },
    h("p", { class: "back" }, link("/chats", "← All chats")),
    h("header", { class: "chat-header" }, title, headerActions), headerExtra, notice.root, loading, conversation, composer.root);

  let chat: Chat | null = null;
  /** The chat's messages as the page knows them, oldest first: each provider's thread goes with the next prompt. */
  let thread: (ChatMessageBody | null)[] = [];

  function showHeader(current: Chat): void {
    chat = current;
    title.textContent = chatTitle(current);
    headerExtra.replaceChildren();
    headerActions.replaceChildren(
      button("Rename", () => headerExtra.replaceChildren(renameForm(vault, current, (renamed) => showHeader(renamed ?? current))), { class: "secondary" }),
      button("Delete", () => headerExtra.replaceChildren(deleteConfirm(vault, current, (deleted) => {
        if (deleted) ctx.shell.navigate("/chats", { notice: `Deleted “${chatTitle(current)}”.` });
        else showHeader(current);
      })), { class: "secondary" }));
  }

  async function load(): Promise<void> {
    try {
      const [current, messages, credentials] = await Promise.all([
        vault.get(chatId, ctx.signal),
        vault.messages(chatId, ctx.signal),
        loadCredentialOptions(ctx.api, ctx.keys, ctx.signal),
      ]);
      if (ctx.signal.aborted) return;
      showHeader(current);
      thread = messages.map((m) => m.body);
      conversation.replaceChildren(...conversationItems(messages));
      composer.setCredentials(credentials);
      // First use: say when a run will have to start a sandbox first, or cannot run at all here.
      ctx.api.runtimes(ctx.signal).then((runtimes) => {
        if (!ctx.signal.aborted) composer.setRuntimes(runtimes);
      }, () => { /* only a hint: the runs themselves say what is wrong */ });
    } catch (error) {
      if (!ctx.signal.aborted) notice.error(error);
    } finally {
      loading.remove();
    }
  }

  // A connected account's run may refresh its token: the new file comes back sealed to the user's own key (from the
  // private key this page holds) and replaces the stored one, as `polydev run` does (ConnectedAccounts.ReplaceAsync).
  const writeBack: CredentialWriteBack = {
    publicKey: ctx.keys.publicKey,
    store: async (provider, recordId, sealed) => replaceRefreshed(ctx.api, ctx.keys, recordId, await openRefresh(ctx.keys, sealed, provider)),
  };

  composer.onSend = async (prompt, choices) => {
    const requests: RunRequest[] = [];
    for (const { option, model } of choices) {
      const credential = await openRunCredential(ctx.keys, option);
      if (credential === null) {
        composer.showError(`Your ${providerName(option.provider)} credential “${option.label}” could not be opened. Check it on the Providers page.`);
        return;
      }
      requests.push({
        provider: option.provider, credential, prompt, model,
        credentialName: { label: option.label, kind: credential.type === "api_key" ? "API key" : "sign-in" },
        history: conversationHistory(thread, option.provider),
        writeBack,
      });
    }
    const pending = h("li", { class: "pending" }, messageView({ role: "user", text: prompt, provider: null, model: null }));
    const run = new PerspectivesRun(executions, requests);
    const live = h("li", {}, run.root);
    conversation.append(pending, live);
    setActive(run);
    live.scrollIntoView({ block: "nearest" });
    const perspectives = await run.run();
    setActive(null);
    if (ctx.signal.aborted) return;

    // A failed run is kept as a failure with its sentence (issue 14), never as an answer; a cancelled one not at all.
    const answered = perspectives.filter((p) => (p.answer.status === "done" && p.answer.text !== "") || p.answer.status === "failed");
    if (answered.length > 0) await save(prompt, answered, pending);
    if (perspectives.some((p) => p.answer.status === "done" && p.answer.text !== "")) {
      composer.clearPrompt();
    } else {
      const reasons = perspectives.map((p) => p.answer.problem).filter((p) => p !== "");
      composer.showError(reasons.length > 0 ? `No answer: ${reasons[0]} Your prompt is still here.` : "No answer arrived. Your prompt is still here.");
    }
  };

  /** Saves the prompt and the answers; on failure offers to try again (everything is still on screen). */
  async function save(prompt: string, answered: Perspective[], pending: HTMLElement): Promise<void> {
    if (chat === null) return;
    const chatIdToSave = chat.id;
    const status = h("p", { class: "hint save-status", role: "status" }, "Saving to the chat…");
    pending.append(status);
    let savedPrompt = false;
    const savedAnswers = new Set<Perspective>();
    const attempt = async (): Promise<void> => {
      try {
        if (!savedPrompt) {
          const asked: ChatMessageBody = { role: "user", text: prompt, provider: null, model: null };
          await vault.addMessage(chatIdToSave, asked);
          thread.push(asked);
          savedPrompt = true;
        }
        for (const p of answered) {
          if (savedAnswers.has(p)) continue;
          const failure = p.answer.status === "failed"
            ? { failure: { kind: p.answer.failure?.kind ?? "cli_crashed", status: p.answer.failure?.status ?? null, message: p.answer.problem } }
            : {};
          const answer: ChatMessageBody = {
            role: "assistant", text: p.answer.text, provider: p.request.provider, model: p.answer.model ?? p.request.model ?? null, ...failure,
          };
          await vault.addMessage(chatIdToSave, answer);
          thread.push(answer);
          savedAnswers.add(p);
        }
        status.textContent = "Saved to the chat.";
        pending.classList.remove("pending");
      } catch (error) {
        if (ctx.signal.aborted) return;
        status.replaceChildren(`Not saved: ${userMessage(error)} `,
          button("Save again", () => { status.textContent = "Saving to the chat…"; void attempt(); }, { class: "secondary" }));
      }
    };
    await attempt();
  }

  void load();
  return root;
}

/** What one chosen provider runs with: its credential, and a model when the user named one. */
interface Choice {
  readonly option: CredentialOption;
  readonly model: string | undefined;
}

/** Models offered as suggestions (any name the provider knows can be typed); empty means the CLI's own default. */
const suggestedModels: Record<string, readonly string[]> = {
  anthropic: ["claude-opus-5-5", "claude-sonnet-4-5", "claude-haiku-4-5"],
  openai: ["gpt-5", "gpt-5-codex", "gpt-5-mini"],
  google: ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite"],
};

/** The prompt box, the provider choice (checkboxes, a credential choice where a provider has several, a model), Send. */
class Composer {
  readonly root: HTMLFormElement;
  onSend: (prompt: string, choices: Choice[]) => Promise<void> = async () => {};
  private readonly prompt: HTMLTextAreaElement;
  private readonly providers: HTMLFieldSetElement;
  private readonly error: HTMLParagraphElement;
  private readonly send: HTMLButtonElement;
  private choices: { checkbox: HTMLInputElement; pick: () => CredentialOption; model: HTMLInputElement }[] = [];

  constructor() {
    const promptId = uid("prompt");
    this.prompt = h("textarea", { id: promptId, name: "prompt", rows: 4, required: true, "aria-describedby": `${promptId}-hint` });
    this.providers = h("fieldset", { class: "provider-choice" }, h("legend", {}, "Providers"), h("p", { class: "hint" }, "Loading your providers…"));
    this.error = h("p", { class: "form-error", role: "alert", hidden: true });
    this.send = h("button", { type: "submit", class: "primary", disabled: true }, "Send");
    this.root = h("form", { class: "composer", "aria-label": "New message" },
      h("div", { class: "field" },
        h("label", { for: promptId }, "Prompt"),
        h("p", { class: "hint", id: `${promptId}-hint` }, "Ctrl+Enter (⌘+Enter on a Mac) sends."),
        this.prompt),
      this.providers, this.error, h("div", { class: "actions" }, this.send));
    this.prompt.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.root.requestSubmit();
      }
    });
    this.root.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.submit();
    });
  }

  setCredentials(byProvider: Map<string, CredentialOption[]>): void {
    const rows: HTMLElement[] = [];
    const missing: string[] = [];
    this.choices = [];
    for (const provider of providerIds) {
      const options = byProvider.get(provider) ?? [];
      if (options.length === 0) {
        missing.push(providerName(provider));
        continue;
      }
      const id = uid(`provider-${provider}`);
      const checkbox = h("input", { type: "checkbox", id, name: "provider", value: provider, checked: this.choices.length === 0 });
      let pick = () => options[0]!;
      let select: HTMLSelectElement | null = null;
      if (options.length > 1) {
        const selectId = uid(`credential-${provider}`);
        select = h("select", { id: selectId, name: `credential-${provider}` },
          ...options.map((o) => h("option", { value: o.id }, o.label)));
        const chosen = select;
        pick = () => options.find((o) => o.id === chosen.value) ?? options[0]!;
        rows.push(h("div", { class: "provider-row" },
          h("div", { class: "check" }, checkbox, h("label", { for: id }, providerName(provider))),
          h("div", { class: "field credential-pick" }, h("label", { for: selectId }, `${providerName(provider)} credential`), select)));
      } else {
        rows.push(h("div", { class: "provider-row" },
          h("div", { class: "check" }, checkbox, h("label", { for: id }, providerName(provider)),
            h("span", { class: "hint" }, ` (${options[0]!.label})`))));
      }
      const modelId = uid(`model-${provider}`);
      const model = h("input", {
        id: modelId, name: `model-${provider}`, list: `models-${provider}`, autocomplete: "off", spellcheck: false,
        placeholder: "the CLI's default", maxLength: 128,
      });
      rows.at(-1)!.append(h("div", { class: "field model-pick" },
        h("label", { for: modelId }, `${providerName(provider)} model`), model,
        h("datalist", { id: `models-${provider}` }, ...(suggestedModels[provider] ?? []).map((m) => h("option", { value: m })))));
      this.choices.push({ checkbox, pick, model });
    }
    const legend = h("legend", {}, "Providers");
    if (this.choices.length === 0) {
      this.providers.replaceChildren(legend, h("p", {}, "You have no provider keys yet. ", link("/providers", "Add one on the Providers page"), " to run prompts."));
      this.send.disabled = true;
      return;
    }
    const hint = this.choices.length > 1 ? "Choose several to read their answers side by side." : null;
    this.providers.replaceChildren(legend, ...rows);
    if (hint !== null) this.providers.append(h("p", { class: "hint" }, hint));
    if (missing.length > 0) {
      this.providers.append(h("p", { class: "hint" }, `To use ${missing.join(" or ")}, add a key on the `, link("/providers", "Providers page"), "."));
    }
    this.send.disabled = false;
  }

  /** Hints from the server's runtimes: providers it does not run, and those with no warm sandbox (a slower first run). */
  setRuntimes(runtimes: RuntimesResponse): void {
    this.providers.querySelector(".runtime-hint")?.remove();
    const offered = new Set(this.choices.map((c) => c.checkbox.value));
    const off = runtimes.runtimes.filter((r) => offered.has(r.provider) && (!runtimes.sandboxes || !r.enabled)).map((r) => providerName(r.provider));
    const cold = runtimes.runtimes.filter((r) => offered.has(r.provider) && runtimes.sandboxes && r.enabled && r.ready === 0).map((r) => providerName(r.provider));
    const lines: string[] = [];
    if (off.length > 0) lines.push(`This server does not run ${off.join(" or ")}.`);
    if (cold.length > 0) lines.push(`No ${cold.join(" or ")} sandbox is warm right now: the first run starts one, which takes longer.`);
    if (lines.length > 0) this.providers.append(h("p", { class: "hint runtime-hint", role: "status" }, lines.join(" ")));
  }

  showError(message: string): void {
    this.error.textContent = message;
    this.error.hidden = false;
  }

  clearPrompt(): void {
    this.prompt.value = "";
  }

  private async submit(): Promise<void> {
    this.error.hidden = true;
    const prompt = this.prompt.value;
    const chosen = this.choices.filter((c) => c.checkbox.checked).map((c) => ({ option: c.pick(), model: c.model.value.trim() || undefined }));
    if (prompt.trim() === "") return this.showError("Write a prompt first.");
    if (chosen.length === 0) return this.showError("Choose at least one provider.");
    // The sandbox agent's rule for a model name (docs/events.md), said before anything runs.
    const badModel = chosen.find((c) => c.model !== undefined && (/\s/.test(c.model) || c.model.startsWith("-")));
    if (badModel !== undefined) return this.showError(`“${badModel.model}” is not a model name: no spaces, and it does not start with “-”.`);
    this.setBusy(true);
    try {
      await this.onSend(prompt, chosen);
    } catch (error) {
      this.showError(userMessage(error));
    } finally {
      this.setBusy(false);
      this.prompt.focus();
    }
  }

  /** While a run is going the prompt is kept as sent (read-only), so what is saved is what ran. */
  private setBusy(busy: boolean): void {
    this.prompt.readOnly = busy;
    this.send.disabled = busy;
    this.send.textContent = busy ? "Running…" : "Send";
    for (const c of this.choices) {
      c.checkbox.disabled = busy;
      c.model.disabled = busy;
    }
    if (busy) this.root.setAttribute("aria-busy", "true");
    else this.root.removeAttribute("aria-busy");
  }
}
