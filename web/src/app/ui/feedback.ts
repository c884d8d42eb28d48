// Messages to the user: errors as role="alert" (announced at once), progress and success as role="status".
import { userMessage } from "../api/errors.ts";
import { h } from "./dom.ts";

/** A region that shows one message at a time; empty and invisible until then. */
export class Notice {
  readonly root: HTMLDivElement;

  constructor() {
    this.root = h("div", { class: "notice", hidden: true });
  }

  error(errorOrMessage: unknown): void {
    this.show("alert", "error", typeof errorOrMessage === "string" ? errorOrMessage : userMessage(errorOrMessage));
  }

  success(message: string): void {
    this.show("status", "success", message);
  }

  info(message: string): void {
    this.show("status", "info", message);
  }

  clear(): void {
    this.root.hidden = true;
    this.root.replaceChildren();
  }

  private show(role: "alert" | "status", tone: string, message: string): void {
    this.root.replaceChildren(h("p", { role, class: `notice-${tone}` }, message));
    this.root.hidden = false;
  }
}

/**
 * Runs `work` with the button disabled and relabelled (e.g. "Unlocking…"), then restores it. Inputs are never
 * cleared here: a failed request leaves everything the user typed in place.
 */
export async function whileBusy<R>(button: HTMLButtonElement, busyLabel: string, work: () => Promise<R>): Promise<R> {
  const label = button.textContent ?? "";
  const form = button.form;
  button.disabled = true;
  button.textContent = busyLabel;
  form?.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.textContent = label;
    form?.removeAttribute("aria-busy");
  }
}
