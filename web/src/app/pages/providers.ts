// Providers: the user's credentials per provider, decrypted here to show label and type (never the secret), and for a
// connected account its account and token expiry with a warning before it lapses (vault/credential-status.ts); add an
// API key (with an optional endpoint and CA bundle under "Advanced"); connect an account (the provider CLI's own
// sign-in in a login session, /login-sessions/new?connect=PROVIDER); remove one after a confirmation.
import { providerNames, providers, type Provider } from "../api/types.ts";
import { cliName } from "../login/words.ts";
import { credentialStatus } from "../vault/credential-status.ts";
import { addCredential, apiKeyType, describeType, listCredentials, oauthType, type OpenedCredential } from "../vault/credentials.ts";
import { button, field, h, heading } from "../ui/dom.ts";
import { Notice, whileBusy } from "../ui/feedback.ts";
import type { Page, PageContext } from "./page.ts";

const maxCaBundleLength = 60_000;

export function providersPage(): Page {
  return {
    id: "providers",
    title: "Providers",
    render(ctx) {
      const sections = new Map<Provider, ProviderSection>();
      const pageNotice = new Notice();
      const root = h("section", { class: "page" },
        heading("Providers"),
        h("p", {}, "Polydev runs each provider's CLI with your own credentials. They are encrypted in this browser before they are stored: the server cannot read them."),
        pageNotice.root);
      for (const provider of providers) {
        const section = new ProviderSection(ctx, provider, () => void reload());
        sections.set(provider, section);
        root.append(section.root);
      }

      async function reload(): Promise<void> {
        try {
          const all = await listCredentials(ctx.api, ctx.keys, undefined, ctx.signal);
          if (ctx.signal.aborted) return;
          pageNotice.clear();
          for (const [provider, section] of sections) section.show(all.filter((c) => c.provider === provider));
        } catch (error) {
          if (ctx.signal.aborted) return;
          pageNotice.error(error);
        }
      }
      void reload();
      return root;
    },
  };
}

/** One provider: its credentials, the add form, and connecting an account. */
class ProviderSection {
  readonly root: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly notice = new Notice();

  constructor(private readonly ctx: PageContext, private readonly provider: Provider, private readonly changed: () => void) {
    const name = providerNames[provider];
    const headingId = `provider-${provider}`;
    this.list = h("ul", { class: "credentials", "aria-label": `${name} credentials`, "aria-busy": "true" }, h("li", { class: "muted" }, "Loading…"));
    this.root = h("section", { class: "provider card", "aria-labelledby": headingId, "data-provider": provider },
      h("h2", { id: headingId }, name),
      this.list,
      this.notice.root,
      this.addForm(name),
      h("div", { class: "connect-account", "data-slot": "connect-account" },
        h("h3", {}, "Connect account"),
        h("p", { class: "muted" }, `Sign in to your ${name.split(" ")[0]} account with ${cliName(provider)}'s own sign-in, in a remote browser, instead of pasting an API key. The credential is sealed to you: the server cannot read it.`),
        button("Connect account", () => ctx.shell.navigate(`/login-sessions/new?connect=${provider}`),
          { class: "primary", "data-action": "connect-account", "aria-label": `Connect ${name.split(" ")[0]} account` })));
  }

  show(credentials: readonly OpenedCredential[]): void {
    this.list.removeAttribute("aria-busy");
    if (credentials.length === 0) {
      this.list.replaceChildren(h("li", { class: "muted" }, "No credentials yet."));
      return;
    }
    this.list.replaceChildren(...credentials.map((c) => this.item(c)));
  }

  private item(credential: OpenedCredential): HTMLLIElement {
    const { secret } = credential;
    const label = secret ? secret.label : "Unreadable credential";
    const oauth = secret?.type === oauthType;
    const status = secret && oauth ? credentialStatus(secret) : null;
    const detail = secret
      ? [describeType(secret.type), oauth && secret.account ? secret.account : null, status ? `expires: ${status.text}` : null,
        secret.baseUrl ? `via ${secret.baseUrl}` : null].filter(Boolean).join(", ")
      : credential.error;
    const li = h("li", { class: "credential", "data-credential-id": credential.id, "data-type": secret?.type });
    const remove = button("Remove", () => confirmRemoval(), { "aria-label": `Remove ${label}` });
    const body = () => h("div", { class: "credential-text" },
      h("span", { class: "credential-label" }, label),
      h("span", { class: "muted" }, detail ?? ""),
      status?.warning ? h("span", { class: "credential-warning", role: "note" }, status.warning) : null);
    li.append(body(), remove);

    const confirmRemoval = () => {
      const yes = button("Remove for good", () => {
        void whileBusy(yes, "Removing…", async () => {
          try {
            await this.ctx.api.deleteCredential(credential.id);
            if (this.ctx.signal.aborted) return;
            this.notice.success(`Removed ${label}.`);
            this.changed();
          } catch (error) {
            if (this.ctx.signal.aborted) return;
            this.notice.error(error);
          }
        });
      }, { class: "danger" });
      const no = button("Keep", () => {
        li.replaceChildren(body(), remove);
        remove.focus();
      });
      li.replaceChildren(h("p", { class: "confirm-text" }, `Remove ${label}? Runs with ${providerNames[this.provider]} will no longer be able to use it.`), h("div", { class: "actions" }, yes, no));
      no.focus();
    };
    return li;
  }

  private addForm(name: string): HTMLElement {
    const defaultLabel = name.split(" ")[0]!;
    const label = field({ label: "Label", name: "label", required: true, maxLength: 200, value: defaultLabel, hint: "Your name for this key, to tell several apart." });
    const key = field({ label: "API key", name: "api-key", type: "password", autocomplete: "off", required: true, maxLength: 10_000, spellcheck: false });
    const baseUrl = field({ label: "Base URL", name: "base-url", type: "url", hint: "Send this provider's API calls here instead, e.g. a company gateway. Leave empty for the provider's own endpoint.", placeholder: "https://" });
    const caBundle = field({ label: "CA bundle (PEM)", name: "ca-bundle", multiline: true, spellcheck: false, maxLength: maxCaBundleLength, hint: "Certificates to trust for the base URL, if it uses a private certificate authority." });
    const submit = h("button", { type: "submit", class: "primary" }, "Add API key");
    const form = h("form", { class: "stack add-credential" },
      h("h3", {}, "Add an API key"),
      label.root, key.root,
      h("details", {}, h("summary", {}, "Advanced"), h("div", { class: "stack" }, baseUrl.root, caBundle.root)),
      submit);

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.notice.clear();
      const pem = caBundle.input.value.trim();
      if (pem.length > 0 && !pem.includes("-----BEGIN CERTIFICATE-----")) {
        this.notice.error("The CA bundle must be PEM: one or more blocks starting with -----BEGIN CERTIFICATE-----.");
        return;
      }
      void whileBusy(submit, "Adding…", async () => {
        try {
          const secret = {
            label: label.input.value.trim(), type: apiKeyType, secret: key.input.value.trim(),
            ...(baseUrl.input.value.trim() ? { baseUrl: baseUrl.input.value.trim() } : {}),
            ...(pem ? { caBundle: pem + "\n" } : {}),
          };
          await addCredential(this.ctx.api, this.ctx.keys, this.provider, secret);
          if (this.ctx.signal.aborted) return;
          label.input.value = defaultLabel;
          key.input.value = "";
          baseUrl.input.value = "";
          caBundle.input.value = "";
          this.notice.success(`Added ${secret.label}.`);
          this.changed();
        } catch (error) {
          if (this.ctx.signal.aborted) return;
          this.notice.error(error);
        }
      });
    });
    return form;
  }
}
