// Shows a new recovery code once: the code, a copy button, and a required "I have saved my recovery code" before
// the user may go on. Used right after sign-up and when the code is replaced in settings.
import { checkbox, h, heading } from "./dom.ts";
import { Notice } from "./feedback.ts";

export function recoveryCodePanel(code: string, continueLabel: string, onConfirmed: () => void): HTMLElement {
  const notice = new Notice();
  const codeText = h("code", { class: "recovery-code", id: "recovery-code" }, code);
  const copy = h("button", { type: "button" }, "Copy recovery code");
  copy.addEventListener("click", () => {
    navigator.clipboard.writeText(code).then(
      () => notice.success("Copied. Paste it into your password manager or print it, then clear your clipboard."),
      () => notice.error("This browser did not allow copying. Select the code and copy it, or write it down."));
  });
  const saved = checkbox("I have saved my recovery code", "saved");
  const next = h("button", { type: "submit", class: "primary" }, continueLabel);
  const form = h("form", { class: "stack" }, saved.root, next);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!saved.input.checked) return;
    onConfirmed();
  });

  return h("div", { class: "recovery stack" },
    heading("Save your recovery code", 2),
    h("p", {}, "This is the only time it is shown. Keep it somewhere safe and apart from your password, for example in a password manager or on paper. With it you can set a new password if you forget yours."),
    h("p", { class: "recovery-code-box" }, codeText),
    h("p", {}, copy),
    notice.root,
    form);
}
