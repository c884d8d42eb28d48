// Choosing a password: the field and its confirmation, as sign-up, recovery and the password change ask for it.
import { field, h } from "./dom.ts";
import { passwordStrength } from "./password-strength.ts";

/** The shortest password the web client accepts for a new password (the server never sees it, so cannot check). */
export const minPasswordLength = 8;

export interface NewPasswordFields {
  readonly password: HTMLInputElement | HTMLTextAreaElement;
  readonly roots: readonly HTMLElement[];
  /** True when both entries agree; otherwise marks the confirmation invalid and tells the user, keeping both. */
  confirmed(): boolean;
  /** Empties both entries (once the password has been used). */
  clear(): void;
}

export function newPasswordFields(label: string, hint?: string): NewPasswordFields {
  const password = field({
    label, name: "new-password", type: "password", autocomplete: "new-password", required: true, minLength: minPasswordLength,
    ...(hint === undefined ? {} : { hint }),
  });
  // The same estimate the CLI prints (ui/password-strength.ts); advice only, as there.
  const strength = h("p", { class: "hint password-strength", "aria-live": "polite" });
  password.input.addEventListener("input", () => {
    const value = password.input.value;
    if (value === "") {
      strength.textContent = "";
      return;
    }
    const { bits, word } = passwordStrength(value);
    strength.textContent = `Strength: ${word} (about ${bits} bits).${bits < 36 ? " A passphrase of several unrelated words is much harder to guess." : ""}`;
  });
  password.root.append(strength);
  const confirm = field({ label: "Confirm password", name: "confirm-password", type: "password", autocomplete: "new-password", required: true });
  confirm.input.addEventListener("input", () => confirm.input.setCustomValidity(""));
  return {
    password: password.input,
    roots: [password.root, confirm.root],
    confirmed() {
      if (password.input.value === confirm.input.value) return true;
      confirm.input.setCustomValidity("The two passwords differ.");
      confirm.input.reportValidity();
      return false;
    },
    clear() {
      password.input.value = "";
      confirm.input.value = "";
    },
  };
}
