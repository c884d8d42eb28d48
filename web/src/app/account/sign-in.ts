// Signing in once the password keys are derived: the same last steps for sign-in, recovery and sign-up.
import type { Api } from "../api/client.ts";
import type { AccountKeysResponse, LoginResponse } from "../api/types.ts";
import type { Keys } from "./keys.ts";
import { openKeys, type PasswordKeys } from "./protocol.ts";
import { deviceName, type Session } from "./session.ts";

/** The session a login answer opens (what sessionStorage keeps; never a key). */
export function sessionOf(login: LoginResponse): Session {
  return { token: login.token, sessionId: login.sessionId, userId: login.account.userId, email: login.account.email };
}

/** Logs in with the authKey and opens the account's keys with the kek, both derived from the same password. */
export async function signInWith(
  api: Api, email: string, passwordKeys: PasswordKeys,
): Promise<{ session: Session; keys: Keys; account: AccountKeysResponse }> {
  const login = await api.login({ email, authKey: passwordKeys.authKey, deviceName: deviceName() });
  return { session: sessionOf(login), keys: await openKeys(login.account, passwordKeys.kek), account: login.account };
}
