// Unlock: the session is still valid, only the keys are gone (a reload, or the page locked). The password opens the
// wrapped keys from GET /api/account; no new sign-in. data-page is "unlock" after a reload, "locked" after a lock.
import { unlockWithPassword } from "../account/protocol.ts";
import { rotateAfterRecovery } from "./rotated-keys.ts";
import type { Keys } from "../account/keys.ts";
import type { Session } from "../account/session.ts";
import { button, checkbox, field, h, heading } from "../ui/dom.ts";
import { Notice, whileBusy } from "../ui/feedback.ts";
import type { Page, PublicContext } from "./page.ts";

export function unlockPage(session: Session, reason: "locked" | "reload", onUnlocked: (keys: Keys) => void): Page<PublicContext> {
  return {
    id: reason === "locked" ? "locked" : "unlock",
    title: reason === "locked" ? "Locked" : "Unlock",
    render(ctx) {
      const notice = new Notice();
      const password = field({ label: "Password", name: "password", type: "password", autocomplete: "current-password", required: true });
      password.input.dataset["autofocus"] = "";
      const stay = checkbox("Stay unlocked on this device until I lock or sign out", "stay-unlocked", false);
      const submit = h("button", { type: "submit", class: "primary" }, "Unlock");
      const form = h("form", { class: "stack" }, password.root, stay.root, notice.root, submit);

      form.addEventListener("submit", (event) => {
        event.preventDefault();
        notice.clear();
        void whileBusy(submit, "Unlocking…", async () => {
          performance.mark("polydev:unlock-start");
          try {
            const account = await ctx.api.getAccount(ctx.signal);
            const { keys, passwordKeys } = await unlockWithPassword(account, password.input.value);
            if (ctx.signal.aborted) return;
            performance.mark("polydev:unlock-end");
            password.input.value = "";
            onUnlocked(account.keyRotationRequired ? await rotateAfterRecovery(ctx.api, keys, passwordKeys, form, ctx.signal) : keys);
            if (stay.input.checked) await ctx.shell.stayUnlocked();
          } catch (error) {
            if (ctx.signal.aborted) return;
            notice.error(error);
            password.input.select();
          }
        });
      });

      // Revokes this session on the server too: whoever signs in next should not inherit it.
      const other = button("Sign in as someone else", () => void ctx.shell.signOut(), { class: "link-button" });
      return h("section", { class: "page narrow" },
        heading(reason === "locked" ? "Locked" : "Unlock"),
        h("p", {}, reason === "locked"
          ? `Polydev locked this page and forgot your keys. Enter the password of ${session.email} to continue where you were.`
          : `Signed in as ${session.email}. Enter your password to unlock your chats and credentials on this device.`),
        form,
        h("p", {}, other));
    },
  };
}
