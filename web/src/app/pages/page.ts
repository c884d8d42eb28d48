// The contract between the app shell and its pages. A page is a small object that builds its DOM from a context;
// the shell decides which page shows (router + access rules), owns the header and the main region, and disposes the
// page when the user navigates away, signs out or the page locks. See web/README.md, "Pages".
import type { Api } from "../api/client.ts";
import type { Keys } from "../account/keys.ts";
import type { Session } from "../account/session.ts";

/** The value of the page root's data-page attribute (tests and styles key on it). */
export type PageId = "signup" | "signin" | "recover" | "unlock" | "locked" | "chats" | "run" | "providers" | "settings" | "login-session" | "not-found";

/** Which header link is current while the page shows. */
export type NavSection = "chats" | "providers" | "settings";

export interface NavigateOptions {
  /** Replace the current history entry instead of adding one (redirects). */
  readonly replace?: boolean;
  /** A message to show on the next page (e.g. "Signed out."), as a status line above it. */
  readonly notice?: string;
}

/** What the shell offers every page. */
export interface ShellActions {
  /** Go to an app path ("/chats/0192…"); the router renders the page for it. */
  navigate(path: string, options?: NavigateOptions): void;
  /** Enter the app after sign-in, sign-up or recovery: stores the session (token, ids) and holds the keys in memory. */
  enter(session: Session, keys: Keys, path?: string): void;
  /** Keep the keys in this browser until lock, sign-out or the idle lock ("stay unlocked on this device"). */
  stayUnlocked(): Promise<void>;
  /** The keys were rotated: hold these from now on (the page that rotated them goes on; pages shown later get them). */
  rekeyed(keys: Keys): void;
  /** Lock now: drop the keys, clear the page, show the unlock screen. The session stays. */
  lock(): void;
  /** Sign out on this device: revoke the session on the server (best effort), forget it here, show sign-in. */
  signOut(notice?: string): Promise<void>;
  /** Forget the session on this device without calling the server (it is already revoked, or the account is gone). */
  forgetSession(notice?: string): void;
  /** Re-read the idle-lock setting after it changed. */
  idleSettingChanged(): void;
}

/** Context of pages anyone can open (sign-in, sign-up, recovery). */
export interface PublicContext {
  readonly api: Api;
  readonly shell: ShellActions;
  /** Named parts of the path, from the route pattern (":chatId" -> params.chatId). */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Aborted when the page goes away: pass it to fetches and check it after every await. */
  readonly signal: AbortSignal;
}

/** Context of pages behind the unlock: the session and the keys are there. */
export interface PageContext extends PublicContext {
  readonly session: Session;
  /** The unlocked keys. Do not keep them anywhere that outlives the page: locking must drop every reference. */
  readonly keys: Keys;
}

export interface Page<C extends PublicContext = PageContext> {
  readonly id: PageId;
  /** For document.title ("Providers — Polydev"). Never decrypted content: titles show in tab lists and history. */
  readonly title: string;
  /**
   * Builds the page's root element; the shell sets data-page on it and puts it in <main>. It may return at once and
   * fill in data as it arrives (preferred), or return a promise. After the first await, check ctx.signal.aborted.
   */
  render(ctx: C): HTMLElement | Promise<HTMLElement>;
  /** Called before the page's element is removed: stop timers, streams, listeners on window/document. */
  dispose?(): void;
}

/** A route: a path pattern ("/chats/:chatId") and the page behind it. Matched in registration order. */
export type PageDefinition =
  | { readonly path: string; readonly access: "public"; readonly create: () => Page<PublicContext> }
  | { readonly path: string; readonly access: "unlocked"; readonly nav?: NavSection; readonly create: () => Page<PageContext> };
