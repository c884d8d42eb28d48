// The app shell: header and navigation, the main region, routing with access rules, the session and the keys in
// memory, and the idle lock. Pages only ever see the keys through their context while they are shown.
import { Api } from "./api/client.ts";
import { sessionEnded } from "./api/errors.ts";
import { IdleLock, loadIdleMinutes } from "./account/idle-lock.ts";
import type { Keys } from "./account/keys.ts";
import { clearSession, loadSession, saveSession, type Session } from "./account/session.ts";
import { forgetKeys, keysRemembered, recallKeys, rememberKeys } from "./account/device-keys.ts";
import type { NavSection, NavigateOptions, Page, PageContext, PageDefinition, PublicContext, ShellActions } from "./pages/page.ts";
import { notFoundPage } from "./pages/not-found.ts";
import { unlockPage } from "./pages/unlock.ts";
import { Router } from "./router.ts";
import { button, h, link } from "./ui/dom.ts";

export const defaultPath = "/chats";
const signInPath = "/signin";

interface Shown {
  readonly page: Page<never>;
  readonly controller: AbortController;
}

export class App implements ShellActions {
  readonly api: Api;
  private readonly router = new Router();
  private session: Session | null = loadSession();
  private keys: Keys | null = null;
  /** Why the keys are gone while a session exists: "locked" after a lock, "reload" after a page load. */
  private lockReason: "locked" | "reload" = "reload";
  private shown: Shown | null = null;
  private pendingNotice: string | null = null;
  /** Where a signed-out visitor was headed (a shared link to a chat): sign-in goes there afterwards. */
  private returnTo: string | null = null;
  private readonly idleLock: IdleLock;
  /** After a page load, the keys this device kept for the session ("stay unlocked") are looked for once. */
  private recalled = false;

  private readonly nav: HTMLElement;
  private readonly navLinks = new Map<NavSection, HTMLAnchorElement>();
  private readonly notice: HTMLDivElement;
  private readonly main: HTMLElement;

  constructor(private readonly root: HTMLElement) {
    this.api = new Api({ onSessionEnded: () => this.forgetSession(sessionEnded) });
    this.api.setToken(this.session?.token ?? null);
    this.idleLock = new IdleLock(() => loadIdleMinutes() * 60_000, () => this.lock());

    const sections: [NavSection, string, string][] = [["chats", "Chats", "/chats"], ["providers", "Providers", "/providers"], ["settings", "Settings", "/settings"]];
    const list = h("ul");
    for (const [section, label, href] of sections) {
      const a = link(href, label);
      this.navLinks.set(section, a);
      list.append(h("li", {}, a));
    }
    list.append(h("li", {}, button("Lock", () => this.lock(), { class: "lock-button" })));
    this.nav = h("nav", { "aria-label": "Main", hidden: true }, list);
    this.notice = h("div", { class: "app-notice", role: "status" });
    this.main = h("main", { id: "main", tabindex: -1 });
    const header = h("header", { class: "app-header" }, h("a", { class: "brand", href: defaultPath }, "Polydev"), this.nav);
    this.root.replaceChildren(h("a", { class: "skip-link", href: "#main" }, "Skip to content"), header, this.notice, this.main);
  }

  register(definition: PageDefinition): void {
    this.router.add(definition);
  }

  start(): void {
    window.addEventListener("popstate", () => void this.render());
    document.addEventListener("click", this.onLinkClick);
    void this.render();
  }

  // ShellActions

  navigate(path: string, options: NavigateOptions = {}): void {
    if (options.notice !== undefined) this.pendingNotice = options.notice;
    if (options.replace) history.replaceState(null, "", path);
    else history.pushState(null, "", path);
    void this.render();
  }

  enter(session: Session, keys: Keys, path?: string): void {
    const target = path ?? this.returnTo ?? defaultPath;
    this.returnTo = null;
    saveSession(session);
    this.session = session;
    this.api.setToken(session.token);
    this.keys = keys;
    this.idleLock.start();
    this.navigate(target, { replace: true });
  }

  rekeyed(keys: Keys): void {
    if (!this.session || !this.keys) return;
    this.keys = keys;
    const session = this.session;
    void keysRemembered().then((kept) => (kept ? rememberKeys(session.sessionId, keys) : undefined)).catch(() => undefined);
  }

  async stayUnlocked(): Promise<void> {
    if (this.session && this.keys) await rememberKeys(this.session.sessionId, this.keys);
  }

  lock(): void {
    if (!this.keys) return;
    this.lockReason = "locked";
    this.dropKeys();
    void this.render();
  }

  async signOut(notice = "Signed out."): Promise<void> {
    try {
      if (this.session) await this.api.logout();
    } catch {
      // Already revoked or unreachable: the session is forgotten here either way, which is what was asked.
    }
    this.forgetSession(notice);
  }

  forgetSession(notice?: string): void {
    clearSession();
    this.session = null;
    this.api.setToken(null);
    this.dropKeys();
    this.navigate(signInPath, notice === undefined ? { replace: true } : { replace: true, notice });
  }

  idleSettingChanged(): void {
    this.idleLock.touch();
  }

  // Rendering

  /** Drops every reference to the keys and every decrypted thing on screen. */
  private dropKeys(): void {
    this.idleLock.stop();
    this.keys = null;
    // Lock, sign-out and the idle lock all end "stay unlocked" too.
    void forgetKeys();
    this.disposeShown();
    this.main.replaceChildren();
    this.nav.hidden = true;
  }

  private disposeShown(): void {
    const shown = this.shown;
    this.shown = null;
    if (!shown) return;
    shown.controller.abort();
    try {
      shown.page.dispose?.();
    } catch {
      // A page failing to clean up must not keep the next one (or the lock) from showing.
    }
  }

  private async render(): Promise<void> {
    const url = new URL(location.href);
    if (url.pathname === "/" || url.pathname === "") {
      history.replaceState(null, "", defaultPath);
      return this.render();
    }
    const match = this.router.match(url.pathname);
    const base = { api: this.api, shell: this as ShellActions, query: url.searchParams, params: match?.params ?? {} };

    if (!match) return this.show(notFoundPage(), base, null);

    const definition = match.definition;
    if (definition.access === "public") {
      // Signed in already: the app (or its unlock screen) is where this user belongs.
      if (this.session) return this.navigate(defaultPath, { replace: true });
      return this.show(definition.create(), base, null);
    }

    if (!this.session) {
      // The fragment too: a login session the terminal started carries its keys there (pages/login-session.ts).
      this.returnTo = url.pathname + url.search + url.hash;
      return this.navigate(signInPath, { replace: true, ...(this.pendingNotice ? { notice: this.pendingNotice } : {}) });
    }
    if (!this.keys && !this.recalled && this.lockReason === "reload") {
      this.recalled = true;
      const kept = await recallKeys(this.session.sessionId);
      if (kept !== null && this.session !== null && this.keys === null) {
        this.keys = kept;
        this.idleLock.start();
      }
    }
    if (!this.keys) {
      const session = this.session;
      return this.show(unlockPage(session, this.lockReason, (keys) => {
        this.keys = keys;
        this.idleLock.start();
        void this.render();
      }), base, null);
    }
    return this.show(definition.create(), { ...base, session: this.session, keys: this.keys }, definition.nav ?? null);
  }

  private async show<C extends PublicContext>(page: Page<C>, context: Omit<C, "signal">, section: NavSection | null): Promise<void> {
    this.disposeShown();
    const controller = new AbortController();
    this.shown = { page: page as Page<never>, controller };
    this.main.replaceChildren();
    this.main.removeAttribute("aria-busy");
    this.showNotice();
    this.nav.hidden = this.keys === null;
    for (const [name, a] of this.navLinks) {
      if (name === section) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    document.title = `${page.title} — Polydev`;

    let element: HTMLElement;
    try {
      const rendering = page.render({ ...context, signal: controller.signal } as C);
      if (rendering instanceof Promise) this.main.setAttribute("aria-busy", "true");
      element = await rendering;
    } catch {
      if (controller.signal.aborted) return;
      element = h("section", {}, h("h1", { tabindex: -1 }, "This page could not be shown"),
        h("p", { role: "alert" }, "Something went wrong while loading it. Reload the page and try again."));
    }
    if (controller.signal.aborted || this.shown?.controller !== controller) return;
    this.main.removeAttribute("aria-busy");
    element.dataset["page"] = page.id;
    this.main.replaceChildren(element);
    const target = element.querySelector<HTMLElement>("[data-autofocus]") ?? element.querySelector<HTMLElement>("h1");
    target?.focus();
  }

  /** A notice passed with navigate() shows above the next page and is gone after the one after. */
  private showNotice(): void {
    this.notice.replaceChildren();
    if (this.pendingNotice !== null) this.notice.append(h("p", {}, this.pendingNotice));
    this.pendingNotice = null;
  }

  /** In-app links navigate without a reload; anything else (new tab, other origin, downloads) is left alone. */
  private readonly onLinkClick = (event: MouseEvent): void => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest?.("a");
    if (!anchor || anchor.target || anchor.hasAttribute("download")) return;
    const url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/api/") || url.hash && url.pathname === location.pathname) return;
    event.preventDefault();
    this.navigate(url.pathname + url.search);
  };
}
