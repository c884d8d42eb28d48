// "Stay unlocked on this device" (issue 14): the unlocked keys kept in this browser's IndexedDB as the non-extractable
// CryptoKeys they are — the browser holds their material, and no script, this page's included, can ever read it out —
// so a reload of the tab opens the chat again without the password. Kept per session: another session (a new sign-in,
// another user) finds nothing. Lock, sign-out and the idle lock forget them; without the choice nothing is stored.
import type { Keys } from "./keys.ts";

const database = "polydev";
const store = "device-keys";

interface Stored {
  readonly sessionId: string;
  readonly userId: string;
  readonly userKey: CryptoKey;
  readonly privateKey: CryptoKey;
  readonly publicKey: Uint8Array<ArrayBuffer>;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(database, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(store);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("IndexedDB did not open."));
  });
}

async function run<T>(mode: IDBTransactionMode, work: (objects: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = work(db.transaction(store, mode).objectStore(store));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error("IndexedDB refused the request."));
    });
  } finally {
    db.close();
  }
}

/** Keeps `keys` for `sessionId` on this device (one entry: a later one replaces it). */
export async function rememberKeys(sessionId: string, keys: Keys): Promise<void> {
  if (keys.userKey.extractable || keys.privateKey.extractable) throw new Error("Only non-extractable keys are kept on a device.");
  const value: Stored = { sessionId, userId: keys.userId, userKey: keys.userKey, privateKey: keys.privateKey, publicKey: keys.publicKey };
  await run("readwrite", (objects) => objects.put(value, "keys"));
}

/** The keys kept for `sessionId`, or null (none kept, another session's, or no IndexedDB). */
export async function recallKeys(sessionId: string): Promise<Keys | null> {
  try {
    const stored = await run<Stored | undefined>("readonly", (objects) => objects.get("keys") as IDBRequest<Stored | undefined>);
    if (stored === undefined || stored.sessionId !== sessionId) return null;
    return { userId: stored.userId, userKey: stored.userKey, privateKey: stored.privateKey, publicKey: stored.publicKey };
  } catch {
    return null;
  }
}

/** Whether keys are kept on this device (for any session). */
export async function keysRemembered(): Promise<boolean> {
  try {
    return (await run("readonly", (objects) => objects.count("keys"))) > 0;
  } catch {
    return false;
  }
}

/** Forgets whatever keys this device keeps. */
export async function forgetKeys(): Promise<void> {
  try {
    await run("readwrite", (objects) => objects.delete("keys"));
  } catch {
    // No IndexedDB: nothing was kept.
  }
}
