// Sign-in: prelogin (KDF parameters for the e-mail) -> PBKDF2 and HKDF here -> login with authKey -> open the keys
// the login returned. The password never leaves the page.
import { derivePasswordKeys } from "../account/protocol.ts";
import { signInWith } from "../account/sign-in.ts";
import { rotateAfterRecovery } from "./rotated-keys.ts";
import { checkbox, field, h, heading, link } from "../ui/dom.ts";
import { Notice, whileBusy } from "../ui/feedback.ts";
import type { Page, PublicContext } from "./page.ts";

export function signinPage(): Page<PublicContext> {
  return {
    id: "signin",
    title: "Sign in",
    render(ctx) {
      const notice = new Notice();
      const email = field({ label: "E-mail", name: "email", type: "email", autocomplete: "username", required: true, maxLength: 254 });
      const password = field({ label: "Password", name: "password", type: "password", autocomplete: "current-password", required: true });
      email.input.dataset["autofocus"] = "";
      const stay = checkbox("Stay unlocked on this device until I lock or sign out", "stay-unlocked", false);
      const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
      const form = h("form", { class: "stack" }, email.root, password.root, stay.root, notice.root, submit);

      form.addEventListener("submit", (event) => {
        event.preventDefault();
        notice.clear();
        void whileBusy(submit, "Signing in…", async () => {
          try {
            const address = email.input.value.trim();
            const { kdf } = await ctx.api.prelogin(address);
            const derived = await derivePasswordKeys(password.input.value, kdf);
            const { session, keys, account } = await signInWith(ctx.api, address, derived);
            if (ctx.signal.aborted) return;
            password.input.value = "";
            if (account.keyRotationRequired) {
              ctx.api.setToken(session.token);
              const rotated = await rotateAfterRecovery(ctx.api, keys, derived, form, ctx.signal);
              if (ctx.signal.aborted) return;
              ctx.shell.enter(session, rotated);
              if (stay.input.checked) await ctx.shell.stayUnlocked();
              return;
            }
            ctx.shell.enter(session, keys);
            if (stay.input.checked) await ctx.shell.stayUnlocked();
          } catch (error) {
            if (ctx.signal.aborted) return;
            notice.error(error);
          }
        });
      });

      return h("section", { class: "page narrow" },
        heading("Sign in to Polydev"),
        form,
        h("p", {}, "New here? ", link("/signup", "Create an account")),
        h("p", {}, "Forgot your password? ", link("/recover", "Use your recovery code")));
    },
  };
}
