// A connected account's expiry and warning on the Providers page: the rules of src/Polydev.Client/Vault/CredentialStatus.cs
// (warn three days ahead of a lapse that cannot renew; a refresh token unused for 30 days may be retired).
import assert from "node:assert/strict";
import { test } from "node:test";
import { credentialStatus, staleRefreshMs, warnAheadMs, when } from "../src/app/vault/credential-status.ts";
import type { CredentialSecret } from "../src/app/vault/credentials.ts";

const now = new Date("2026-12-05T12:00:00Z");
const day = 24 * 60 * 60 * 1000;
const at = (offsetMs: number) => new Date(now.getTime() + offsetMs).toISOString();
const oauth = (expiresAt: string | undefined, refreshable: boolean): CredentialSecret => ({
  label: "l", type: "oauth", secret: "{}", ...(expiresAt === undefined ? {} : { expiresAt }), ...(refreshable ? { refreshable } : {}),
});

test("an API key has no expiry; an oauth credential without one is unknown", () => {
  assert.deepEqual(credentialStatus({ label: "k", type: "api_key", secret: "sk" }, now), { text: "-", warning: null });
  assert.deepEqual(credentialStatus(oauth(undefined, true), now), { text: "unknown", warning: null });
});

test("refreshable: renews on the next run once expired; a warning only after 30 days unrefreshed", () => {
  assert.deepEqual(credentialStatus(oauth(at(2 * day), true), now), { text: `${when(new Date(at(2 * day)))} (refresh)`, warning: null });
  assert.deepEqual(credentialStatus(oauth(at(0), true), now), { text: "renews on next run", warning: null });
  assert.deepEqual(credentialStatus(oauth(at(-staleRefreshMs), true), now), { text: "renews on next run", warning: null });
  const stale = credentialStatus(oauth(at(-staleRefreshMs - 60_000), true), now);
  assert.equal(stale.text, `${when(new Date(at(-staleRefreshMs - 60_000)))} (refresh)`);
  assert.match(stale.warning ?? "", /^Not refreshed since .*may have retired its refresh token\. If a run is refused, connect it again with Connect account\.$/);
});

test("not refreshable: expired at its expiry; a warning within three days of it", () => {
  const expired = credentialStatus(oauth(at(0), false), now);
  assert.equal(expired.text, "expired");
  assert.match(expired.warning ?? "", /^Its token expired .* and cannot renew itself; connect it again with Connect account\.$/);
  const soon = credentialStatus(oauth(at(warnAheadMs), false), now);
  assert.equal(soon.text, when(new Date(at(warnAheadMs))));
  assert.match(soon.warning ?? "", /^Its token expires .* connect it again with Connect account before then\.$/);
  assert.deepEqual(credentialStatus(oauth(at(warnAheadMs + 60_000), false), now), { text: when(new Date(at(warnAheadMs + 60_000))), warning: null });
});

test("times read as the CLI prints them: local yyyy-MM-dd HH:mm", () => {
  assert.equal(when(new Date(2026, 11, 5, 8, 7, 59)), "2026-12-05 08:07");
  assert.equal(when(new Date(2027, 0, 31, 23, 0)), "2027-01-31 23:00");
});
