// How a credential stands, for the Providers page: when a connected account's token expires, and a warning before it
// lapses. The rules are src/Polydev.Client/Vault/CredentialStatus.cs's: a refreshable token renews itself at the next
// run (and the run writes the renewed one back); one that cannot renew lapses at its expiry, and the user must connect
// the account again.
import { oauthType, type CredentialSecret } from "./credentials.ts";

export interface CredentialStatus {
  /** The expiry in a few words ("2026-12-05 08:00 (refresh)", "renews on next run", "expired", "unknown"; "-" for an API key). */
  readonly text: string;
  /** A sentence to act on, or null when there is nothing to do. */
  readonly warning: string | null;
}

const dayMs = 24 * 60 * 60 * 1000;

/** How far ahead a lapse is warned of. */
export const warnAheadMs = 3 * dayMs;

/** A refresh token unused this long may have been retired by the provider (Google and OpenAI retire idle ones). */
export const staleRefreshMs = 30 * dayMs;

const reconnect = "connect it again with Connect account";

export function credentialStatus(secret: CredentialSecret, now: Date = new Date()): CredentialStatus {
  if (secret.type !== oauthType) return { text: "-", warning: null };
  if (secret.expiresAt === undefined) return { text: "unknown", warning: null };

  const expires = Date.parse(secret.expiresAt);
  const at = when(new Date(expires));
  const since = now.getTime() - expires;
  if (secret.refreshable === true) {
    return since > staleRefreshMs
      ? { text: `${at} (refresh)`, warning: `Not refreshed since ${at}; the provider may have retired its refresh token. If a run is refused, ${reconnect}.` }
      : { text: since >= 0 ? "renews on next run" : `${at} (refresh)`, warning: null };
  }
  if (since >= 0) return { text: "expired", warning: `Its token expired ${at} and cannot renew itself; ${reconnect}.` };
  return { text: at, warning: -since <= warnAheadMs ? `Its token expires ${at} and cannot renew itself; ${reconnect} before then.` : null };
}

/** Local time as the CLI prints it (Output.When): yyyy-MM-dd HH:mm. */
export function when(time: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${time.getFullYear()}-${two(time.getMonth() + 1)}-${two(time.getDate())} ${two(time.getHours())}:${two(time.getMinutes())}`;
}
