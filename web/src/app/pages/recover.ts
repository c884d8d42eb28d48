// Forgotten password: the recovery code proves itself (recovery authKey) and opens userKey, which is wrapped under a
// new password. Every session is revoked by the server; this page signs in afresh.
import { recoveryProof, resetWithRecovery } from "../account/protocol.ts";
import { signInWith } from "../account/sign-in.ts";
import { field, h, heading, link } from "../ui/dom.ts";
import { Notice, whileBusy } from "../ui/feedback.ts";
import { newPasswordFields } from "../ui/new-password.ts";
import type { Page, PublicContext } from "./page.ts";

export function recoverPage(): Page<PublicContext> {
  return {
    id: "recover",
    title: "Recover your account",
    render(ctx) {
      const notice = new Notice();
      const email = field({ label: "E-mail", name: "email", type: "email", autocomplete: "username", required: true });
      const code = field({ label: "Recovery code", name: "recovery-code", autocomplete: "off", required: true, spellcheck: false, hint: "32 letters and digits, e.g. ABCD-EFGH-…; dashes and spaces do not matter." });
      const password = newPasswordFields("New password");
      email.input.dataset["autofocus"] = "";
      const submit = h("button", { type: "submit", class: "primary" }, "Set new password");
      const form = h("form", { class: "stack" }, email.root, code.root, ...password.roots, notice.root, submit);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        notice.clear();
        if (!password.confirmed()) return;
        void whileBusy(submit, "Recovering…", async () => {
          try {
            const address = email.input.value.trim();
            const proof = await recoveryProof(code.input.value);
            const verified = await ctx.api.recoveryVerify({ email: address, recoveryAuthKey: proof.recoveryAuthKey });
            const reset = await resetWithRecovery(address, verified, proof, password.password.value);
            await ctx.api.recoveryReset(reset.request);
            const { session, keys } = await signInWith(ctx.api, address, reset.passwordKeys);
            if (ctx.signal.aborted) return;
            ctx.shell.enter(session, keys);
          } catch (error) {
            if (ctx.signal.aborted) return;
            notice.error(error);
          }
        });
      });

      return h("section", { class: "page narrow" },
        heading("Set a new password with your recovery code"),
        h("p", {}, "Your data stays as it is: the recovery code opens your key, and the new password wraps it again. Every device is signed out. The recovery code you use here is spent: it never works again, so set a new one under Settings once you are signed in."),
        form,
        h("p", {}, link("/signin", "Back to sign in")));
    },
  };
}
