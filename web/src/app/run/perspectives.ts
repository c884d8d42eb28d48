// One prompt sent to one or several providers at once — Polydev's "perspectives": a column per provider, each with
// its own live answer, status and Cancel, plus "Cancel all". With one provider it is a single answer.
import { button, h } from "../ui/dom.ts";
import { Answer } from "./answer.ts";
import { AnswerView } from "./answer-view.ts";
import { ExecutionRun, type RunRequest } from "./execution-run.ts";
import type { ExecutionsClient } from "./executions.ts";
import { userMessage } from "../api/errors.ts";
import { providerName, RunError } from "./words.ts";

/** Counts sends in this page's life, for the bench's performance marks (polydev:send:N). */
let sendCount = 0;

export interface Perspective {
  readonly request: RunRequest;
  readonly answer: Answer;
}

export class PerspectivesRun {
  readonly root: HTMLElement;
  private readonly runs: ExecutionRun[] = [];
  private readonly views: AnswerView[] = [];
  private readonly cancelAll: HTMLButtonElement;

  constructor(private readonly client: ExecutionsClient, requests: readonly RunRequest[]) {
    const columns = h("div", { class: `perspectives${requests.length > 1 ? " several" : ""}` });
    for (const request of requests) {
      const run = new ExecutionRun(client, request);
      const answer = new Answer(request.provider, request.credentialName);
      const view = new AnswerView(answer, () => void this.cancel(run, answer, view));
      this.runs.push(run);
      this.views.push(view);
      columns.append(view.root);
    }
    this.cancelAll = button("Cancel all", () => void this.cancelEverything(), { class: "secondary", hidden: requests.length < 2 });
    this.root = h("section", { class: "run", "aria-label": requests.length > 1 ? "Perspectives" : "Answer" },
      h("div", { class: "run-actions" }, this.cancelAll), columns);
  }

  get perspectives(): Perspective[] {
    return this.runs.map((run, i) => ({ request: run.request, answer: this.views[i]!.answer }));
  }

  /** Sends to every provider at once and resolves when every answer has ended, however it ended. */
  async run(): Promise<Perspective[]> {
    const index = sendCount++;
    performance.mark(`polydev:send:${index}`);
    await Promise.all(this.runs.map((run, i) => this.follow(run, this.views[i]!)));
    this.cancelAll.hidden = true;
    return this.perspectives;
  }

  /** Stops everything without waiting (the page is going away or locking). */
  dispose(): void {
    for (const run of this.runs) run.dispose();
  }

  private async follow(run: ExecutionRun, view: AnswerView): Promise<void> {
    const { answer } = view;
    let firstShown = false;
    try {
      for await (const event of run.events()) {
        if (view.show(answer.apply(event)) && !firstShown) {
          firstShown = true;
          performance.mark(`polydev:first-output:${answer.provider}`);
        }
      }
      if (!answer.isFinished) answer.fail("The answer ended before the run did. What arrived is shown.");
    } catch (error) {
      answer.fail(run.isCancelRequested ? "Cancelled." : messageOf(error));
      if (run.isCancelRequested) answer.status = "cancelled";
    }
    // However the run ended, a refreshed sign-in it sent is stored: the old refresh token may no longer work.
    answer.note = await storeRefreshed(run);
    view.refreshStatus();
  }

  private async cancel(run: ExecutionRun, answer: Answer, view: AnswerView): Promise<void> {
    answer.cancelled = true;
    view.cancelButton.disabled = true;
    try {
      await run.cancel();
    } catch (error) {
      view.cancelButton.disabled = false;
      answer.problem = `Could not cancel: ${messageOf(error)}`;
      view.refreshStatus();
    }
  }

  private async cancelEverything(): Promise<void> {
    this.cancelAll.disabled = true;
    await Promise.all(this.runs.map((run, i) => {
      const view = this.views[i]!;
      return view.answer.isFinished ? Promise.resolve() : this.cancel(run, view.answer, view);
    }));
  }
}

/** Stores the run's refreshed credential, if it sent one; what to tell the user about it ("" for nothing). */
async function storeRefreshed(run: ExecutionRun): Promise<string> {
  const name = providerName(run.request.provider);
  try {
    const stored = await run.storeRefreshed();
    return stored === true ? `${name}'s sign-in was refreshed during the run; the new token is stored in your vault.` : "";
  } catch (error) {
    return `${name}'s sign-in was refreshed during the run, but the new token could not be stored (${userMessage(error)}). If the next run is refused, connect the account again on the Providers page.`;
  }
}

function messageOf(error: unknown): string {
  if (error instanceof RunError) return error.message;
  if (error instanceof DOMException && error.name === "AbortError") return "Cancelled.";
  return "Something went wrong in this page while the answer arrived. Reload and try again.";
}
