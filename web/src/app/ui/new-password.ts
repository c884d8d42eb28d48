// Choosing a password: the field and its confirmation, as sign-up, recovery and the password change ask for it.
import { field } from "./dom.ts";

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
