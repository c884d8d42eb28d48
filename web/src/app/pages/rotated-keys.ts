// What the pages show once the keys were rotated: the new recovery code, once, in place of the form that rotated
// them, and how much was re-encrypted. Used by settings (rotation asked for), and by recovery, sign-in and unlock
// (rotation a reset with the recovery code left to do: the server takes no vault writes until then).
import type { Api } from "../api/client.ts";
import type { Keys } from "../account/keys.ts";
import type { PasswordKeys } from "../account/protocol.ts";
import { rotateKeys, type Rotated } from "../account/rotation.ts";
import { h } from "../ui/dom.ts";
import { recoveryCodePanel } from "../ui/recovery-code.ts";

/** Hides `form`, shows the new recovery code after it, and resolves once the user confirmed saving it (the panel is gone then). */
export function showRotated(rotated: Rotated, form: HTMLElement, intro: string, continueLabel: string): Promise<void> {
  return new Promise((resolve) => {
    const records = `${rotated.records} record${rotated.records === 1 ? "" : "s"}`;
    const panel = h("div", { class: "stack", "data-rotated": String(rotated.records) },
      h("p", { role: "status" }, `${intro} ${records} re-encrypted under a new key; every other device was signed out. Your old recovery code no longer works.`),
      recoveryCodePanel(rotated.recoveryCode, continueLabel, () => {
        panel.remove();
        form.hidden = false;
        resolve();
      }));
    form.hidden = true;
    form.after(panel);
    const title = panel.querySelector<HTMLElement>("h2");
    title?.setAttribute("tabindex", "-1");
    title?.focus();
  });
}

/**
 * The rotation a reset with the recovery code left: signed in (the api carries the session's token) with the new
 * password's keys, rotate, then show the new code. Resolves with the new keys once the user saved the code.
 */
export async function rotateAfterRecovery(api: Api, keys: Keys, passwordKeys: PasswordKeys, form: HTMLElement, signal: AbortSignal): Promise<Keys> {
  const rotated = await rotateKeys(api, keys, { currentAuthKey: passwordKeys.authKey, kek: passwordKeys.kek, newPassword: null }, signal);
  await showRotated(rotated, form, "Your password was reset with your recovery code, so your keys were rotated:", "Continue");
  return rotated.keys;
}
