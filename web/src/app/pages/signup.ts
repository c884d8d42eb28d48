// Sign-up: the warning comes first (no password reset, lost password without recovery code = lost data), then every
// key is made in this page and only authKey, wrapped keys and the public key go to the server. The recovery code is
// shown once and must be confirmed as saved before the app opens.
import { createAccount } from "../account/protocol.ts";
import type { Keys } from "../account/keys.ts";
import { deviceName, type Session } from "../account/session.ts";
import { sessionOf } from "../account/sign-in.ts";
import { checkbox, field, h, heading, link } from "../ui/dom.ts";
import { Notice, whileBusy } from "../ui/feedback.ts";
import { minPasswordLength, newPasswordFields } from "../ui/new-password.ts";
import { recoveryCodePanel } from "../ui/recovery-code.ts";
import type { Page, PublicContext } from "./page.ts";


export function signupPage(): Page<PublicContext> {
  let leaveGuard: ((event: BeforeUnloadEvent) => void) | null = null;
  const dropLeaveGuard = () => {
    if (leaveGuard) window.removeEventListener("beforeunload", leaveGuard);
    leaveGuard = null;
  };

  return {
    id: "signup",
    title: "Create account",
    dispose: dropLeaveGuard,
    render(ctx) {
      const root = h("section", { class: "page narrow" });
      const notice = new Notice();
      const email = field({ label: "E-mail", name: "email", type: "email", autocomplete: "username", required: true, maxLength: 254 });
      const password = newPasswordFields(
        "Password", `At least ${minPasswordLength} characters. A long passphrase is best: it is the only thing protecting your data.`);
      const understood = checkbox("I understand: if I lose both my password and my recovery code, my data is gone for good.", "understood");
      email.input.dataset["autofocus"] = "";
      const submit = h("button", { type: "submit", class: "primary" }, "Create account");

      const warning = h("div", { class: "warning", role: "note", "aria-labelledby": "signup-warning-title" },
        h("h2", { id: "signup-warning-title" }, "Nobody can reset your password"),
        h("p", {}, "Polydev encrypts your chats and provider keys in this browser with a key made from your password. The server never sees your password, so it cannot reset it."),
        h("p", {}, "After the account is created you get a recovery code, shown once. With it you can set a new password. Without your password and without the recovery code, your data cannot be recovered by anyone, including the operator."));

      const form = h("form", { class: "stack" }, email.root, ...password.roots, warning, understood.root, notice.root, submit);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        notice.clear();
        if (!password.confirmed()) return;
        void whileBusy(submit, "Creating your keys…", async () => {
          try {
            const address = email.input.value.trim();
            const { kdf } = await ctx.api.prelogin(address);
            const account = await createAccount(address, password.password.value, kdf);
            const created = await ctx.api.signup(account.request);
            if (ctx.signal.aborted) return;
            // The account exists now: whatever happens next, the recovery code must reach the user.
            let session: Session | null = null;
            try {
              const login = await ctx.api.login({ email: created.email, authKey: account.authKey, deviceName: deviceName() });
              session = sessionOf(login);
            } catch {
              session = null;
            }
            if (ctx.signal.aborted) return;
            password.clear();
            showRecoveryCode(account.recoveryCode, session, account.keys);
          } catch (error) {
            if (ctx.signal.aborted) return;
            notice.error(error);
          }
        });
      });

      function showRecoveryCode(code: string, session: Session | null, keys: Keys): void {
        leaveGuard = (event) => event.preventDefault();
        window.addEventListener("beforeunload", leaveGuard);
        const panel = recoveryCodePanel(code, "Continue to Polydev", () => {
          dropLeaveGuard();
          if (session) ctx.shell.enter(session, keys);
          else ctx.shell.navigate("/signin", { replace: true, notice: "Your account was created. Sign in with your e-mail and password." });
        });
        root.replaceChildren(heading("Your account is ready"), panel);
        root.querySelector("h1")?.focus();
      }

      root.append(
        heading("Create your Polydev account"),
        h("p", {}, "Use Claude Code, Codex CLI and Gemini CLI with your own provider accounts, from anywhere. Everything you store is encrypted here, in your browser, before it is sent."),
        form,
        h("p", {}, "Have an account? ", link("/signin", "Sign in")));
      return root;
    },
  };
}
