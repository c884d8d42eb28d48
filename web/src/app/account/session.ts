// The signed-in session, kept in sessionStorage: a reload of the tab asks only for the password (unlock), not a new
// sign-in, but the token is gone when the tab closes instead of lying on disk for the session's 30 days (issue 13,
// finding 15g). It holds the session token and who is signed in; never a key, a password or anything decrypted.

export interface Session {
  readonly token: string;
  readonly sessionId: string;
  readonly userId: string;
  readonly email: string;
}

const storageKey = "polydev.session";

function isSession(value: unknown): value is Session {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v["token"] === "string" && typeof v["sessionId"] === "string"
    && typeof v["userId"] === "string" && typeof v["email"] === "string";
}

export function loadSession(storage: Storage = sessionStorage): Session | null {
  // Earlier versions kept the session in localStorage: take that long-lived copy off the disk.
  if (storage === globalThis.sessionStorage) globalThis.localStorage?.removeItem(storageKey);
  try {
    const parsed: unknown = JSON.parse(storage.getItem(storageKey) ?? "null");
    return isSession(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

export function saveSession(session: Session, storage: Storage = sessionStorage): void {
  const { token, sessionId, userId, email } = session;
  storage.setItem(storageKey, JSON.stringify({ token, sessionId, userId, email }));
}

export function clearSession(storage: Storage = sessionStorage): void {
  storage.removeItem(storageKey);
}

/** A name for this browser in the session list ("Firefox on Linux"); says nothing secret. */
export function deviceName(userAgent: string = navigator.userAgent): string {
  const browser = /Firefox\//.test(userAgent) ? "Firefox"
    : /Edg\//.test(userAgent) ? "Edge"
    : /Chrom(e|ium)\//.test(userAgent) ? "Chromium"
    : /Safari\//.test(userAgent) ? "Safari"
    : "Browser";
  const system = /Android/.test(userAgent) ? "Android"
    : /iPhone|iPad/.test(userAgent) ? "iOS"
    : /Windows/.test(userAgent) ? "Windows"
    : /Mac OS X/.test(userAgent) ? "macOS"
    : /Linux/.test(userAgent) ? "Linux"
    : null;
  return `Web: ${browser}${system ? ` on ${system}` : ""}`;
}
