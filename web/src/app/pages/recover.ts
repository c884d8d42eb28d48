// Forgotten password: the recovery code proves itself (recovery authKey) and opens userKey, which is wrapped under a
// new password. The server spends the code and revokes every session; this page signs in afresh and rotates the keys
// (whoever held the code could open the old userKey), which makes the new recovery code it shows once.
import { recoveryProof, resetWithRecovery } from "../account/protocol.ts";
import { signInWith } from "../account/sign-in.ts";
import { rotateAfterRecovery } from "./rotated-keys.ts";
import { field, h, heading, link } from "../ui/dom.ts";
import { userMessage } from "../api/errors.ts";
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
          let reset = false;
          try {
            const address = email.input.value.trim();
            const proof = await recoveryProof(code.input.value);
            const verified = await ctx.api.recoveryVerify({ email: address, recoveryAuthKey: proof.recoveryAuthKey });
            const request = await resetWithRecovery(address, verified, proof, password.password.value);
            await ctx.api.recoveryReset(request.request);
            reset = true;
            const { session, keys } = await signInWith(ctx.api, address, request.passwordKeys);
            ctx.api.setToken(session.token);
            const rotated = await rotateAfterRecovery(ctx.api, keys, request.passwordKeys, form, ctx.signal);
            if (ctx.signal.aborted) return;
            ctx.shell.enter(session, rotated);
          } catch (error) {
            if (ctx.signal.aborted) return;
            if (!reset) return notice.error(error);
            ctx.api.setToken(null);
            notice.error(`Your new password is set, but your keys are not rotated yet: sign in with it to finish. (${userMessage(error)})`);
          }
        });
      });

      return h("section", { class: "page narrow" },
        heading("Set a new password with your recovery code"),
        h("p", {}, "Your data stays yours: the recovery code opens your key, then everything is re-encrypted under a new key and you get a new recovery code, shown once. Every device is signed out. The recovery code you use here is spent: it never works again."),
        form,
        h("p", {}, link("/signin", "Back to sign in")));
    },
  };
}
