// Settings: password change (userKey re-wrapped; or, asked for, the keys rotated in the same step), key rotation, a
// new recovery code, the idle lock for this device, signing out (here or everywhere), and deleting the account.
import { loadIdleMinutes, maxIdleMinutes, minIdleMinutes, saveIdleMinutes } from "../account/idle-lock.ts";
import { changePassword, deleteAccountRequest, replaceRecoveryCode, rotationProof } from "../account/protocol.ts";
import { rotateKeys } from "../account/rotation.ts";
import { showRotated } from "./rotated-keys.ts";
import { button, checkbox, field, h, heading } from "../ui/dom.ts";
import { Notice, whileBusy } from "../ui/feedback.ts";
import { newPasswordFields } from "../ui/new-password.ts";
import { recoveryCodePanel } from "../ui/recovery-code.ts";
import type { Page, PageContext } from "./page.ts";

export function settingsPage(): Page {
  return {
    id: "settings",
    title: "Settings",
    render: (ctx) => h("section", { class: "page" },
      heading("Settings"),
      h("p", {}, `Signed in as ${ctx.session.email}.`),
      passwordSection(ctx),
      rotationSection(ctx),
      recoverySection(ctx),
      idleSection(ctx),
      sessionsSection(ctx),
      deleteSection(ctx)),
  };
}

function card(id: string, title: string, ...content: (HTMLElement | string)[]): HTMLElement {
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), ...content);
}

const rotateAdvice = "Do this if you think your password, a device or your recovery code was exposed: whoever had your old key opens nothing stored from then on.";

function passwordSection(ctx: PageContext): HTMLElement {
  const notice = new Notice();
  const current = field({ label: "Current password", name: "current-password", type: "password", autocomplete: "current-password", required: true });
  const next = newPasswordFields("New password");
  const rotate = checkbox("Also rotate my keys: re-encrypt everything under a new key and get a new recovery code", "rotate-keys", false);
  const submit = h("button", { type: "submit", class: "primary" }, "Change password");
  const form = h("form", { class: "stack" }, current.root, ...next.roots, rotate.root, h("p", { class: "hint" }, rotateAdvice), notice.root, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    notice.clear();
    if (!next.confirmed()) return;
    void whileBusy(submit, rotate.input.checked ? "Re-encrypting…" : "Changing…", async () => {
      try {
        const account = await ctx.api.getAccount(ctx.signal);
        if (rotate.input.checked) {
          const rotated = await rotateKeys(ctx.api, ctx.keys, await rotationProof(account, current.input.value, next.password.value), ctx.signal);
          ctx.shell.rekeyed(rotated.keys);
          if (ctx.signal.aborted) return;
          form.reset();
          await showRotated(rotated, form, "Password changed and keys rotated:", "Done");
          notice.success("Password changed and keys rotated. Keep your new recovery code safe.");
          return;
        }
        await ctx.api.changePassword(await changePassword(account, current.input.value, next.password.value));
        if (ctx.signal.aborted) return;
        form.reset();
        notice.success("Password changed. Your other devices were signed out; this one stays signed in. Your recovery code still works.");
      } catch (error) {
        if (ctx.signal.aborted) return;
        notice.error(error);
      }
    });
  });
  return card("settings-password", "Change password",
    h("p", {}, "The new password wraps the same key, so nothing is re-encrypted, unless you also rotate your keys. Every other device is signed out."), form);
}

function rotationSection(ctx: PageContext): HTMLElement {
  const notice = new Notice();
  const current = field({ label: "Password", name: "rotate-password", type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit" }, "Rotate keys");
  const form = h("form", { class: "stack" }, current.root, notice.root, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    notice.clear();
    void whileBusy(submit, "Re-encrypting…", async () => {
      try {
        const account = await ctx.api.getAccount(ctx.signal);
        const rotated = await rotateKeys(ctx.api, ctx.keys, await rotationProof(account, current.input.value), ctx.signal);
        ctx.shell.rekeyed(rotated.keys);
        if (ctx.signal.aborted) return;
        form.reset();
        await showRotated(rotated, form, "Keys rotated:", "Done");
        notice.success("Keys rotated. Keep your new recovery code safe.");
        submit.focus();
      } catch (error) {
        if (ctx.signal.aborted) return;
        notice.error(error);
      }
    });
  });
  return card("settings-rotation", "Rotate keys",
    h("p", {}, `Makes a new key, key pair and recovery code, and re-encrypts every chat and credential under the new key in one step. ${rotateAdvice} Every other device is signed out.`),
    form);
}

function recoverySection(ctx: PageContext): HTMLElement {
  const notice = new Notice();
  const state = h("p", {}, "");
  const current = field({ label: "Current password", name: "recovery-current-password", type: "password", autocomplete: "current-password", required: true });
  const submit = h("button", { type: "submit" }, "Create a new recovery code");
  const form = h("form", { class: "stack" }, current.root, notice.root, submit);
  const body = h("div", { class: "stack" }, state, form);

  ctx.api.getAccount(ctx.signal).then((account) => {
    state.textContent = account.hasRecovery
      ? "Your account has a recovery code. A new one replaces it: the old code stops working."
      : "Your account has no recovery code. Without one, a forgotten password means your data is lost.";
  }, () => { /* the form still works; the line is only context */ });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    notice.clear();
    void whileBusy(submit, "Creating…", async () => {
      try {
        const account = await ctx.api.getAccount(ctx.signal);
        const { request, recoveryCode } = await replaceRecoveryCode(account, current.input.value);
        await ctx.api.setRecovery(request);
        if (ctx.signal.aborted) return;
        form.reset();
        const panel = recoveryCodePanel(recoveryCode, "Done", () => {
          panel.remove();
          state.textContent = "Your account has a recovery code. A new one replaces it: the old code stops working.";
          form.hidden = false;
          notice.success("Your new recovery code is active; the old one no longer works.");
          submit.focus();
        });
        form.hidden = true;
        body.append(panel);
        panel.querySelector("h2")?.setAttribute("tabindex", "-1");
        panel.querySelector<HTMLElement>("h2")?.focus();
      } catch (error) {
        if (ctx.signal.aborted) return;
        notice.error(error);
      }
    });
  });
  return card("settings-recovery", "Recovery code", body);
}

function idleSection(ctx: PageContext): HTMLElement {
  const notice = new Notice();
  const minutes = field({
    label: "Lock after this many minutes without activity", name: "idle-minutes", type: "number", required: true,
    min: minIdleMinutes, max: maxIdleMinutes, value: String(Math.max(minIdleMinutes, Math.round(loadIdleMinutes()))),
    hint: "This device only. Locking forgets your keys and hides your chats until you enter your password again.",
  });
  minutes.input.setAttribute("step", "1");
  const submit = h("button", { type: "submit" }, "Save");
  const form = h("form", { class: "stack" }, minutes.root, notice.root, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = Number(minutes.input.value);
    try {
      saveIdleMinutes(value);
    } catch (error) {
      notice.error(error instanceof Error ? error.message : "Enter a number of minutes.");
      return;
    }
    ctx.shell.idleSettingChanged();
    notice.success(`Saved: this device locks after ${value} minute${value === 1 ? "" : "s"} without activity.`);
  });
  return card("settings-idle", "Idle lock", form);
}

function sessionsSection(ctx: PageContext): HTMLElement {
  const notice = new Notice();
  const signOutHere = button("Sign out", () => void whileBusy(signOutHere, "Signing out…", () => ctx.shell.signOut()));
  const everywhere = button("Sign out everywhere", () => {
    const yes = button("Sign out all devices", () => {
      void whileBusy(yes, "Signing out…", async () => {
        try {
          await ctx.api.revokeOtherSessions();
          await ctx.shell.signOut("Signed out on every device.");
        } catch (error) {
          if (ctx.signal.aborted) return;
          notice.error(error);
        }
      });
    }, { class: "danger" });
    const no = button("Cancel", () => {
      confirmRow.replaceChildren();
      everywhere.hidden = false;
      everywhere.focus();
    });
    everywhere.hidden = true;
    confirmRow.replaceChildren(h("p", {}, "Every browser and terminal signed in to this account will have to sign in again. API tokens keep working."), h("div", { class: "actions" }, yes, no));
    no.focus();
  });
  const confirmRow = h("div", { class: "stack" });
  return card("settings-sessions", "Sign out",
    h("p", {}, "Signing out forgets this device's session. Signing out everywhere also ends the sessions of every other device."),
    h("div", { class: "actions" }, signOutHere, everywhere), confirmRow, notice.root);
}

function deleteSection(ctx: PageContext): HTMLElement {
  const notice = new Notice();
  const password = field({ label: "Password", name: "delete-password", type: "password", autocomplete: "current-password", required: true });
  const sure = checkbox("I understand that my account, chats and credentials are deleted for good.", "delete-confirm");
  const submit = h("button", { type: "submit", class: "danger" }, "Delete account");
  const form = h("form", { class: "stack" }, password.root, sure.root, notice.root, submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    notice.clear();
    void whileBusy(submit, "Deleting…", async () => {
      try {
        const account = await ctx.api.getAccount(ctx.signal);
        await ctx.api.deleteAccount(await deleteAccountRequest(account, password.input.value));
        ctx.shell.forgetSession("Your account and all its data were deleted.");
      } catch (error) {
        if (ctx.signal.aborted) return;
        notice.error(error);
      }
    });
  });
  return card("settings-delete", "Delete account",
    h("p", {}, "This deletes your account and every chat and credential in it from the server. It cannot be undone."), form);
}
