// What the viewer says about a session's end, in words a user acts on (the reasons are LoginSessionEndReasons; the
// terminal says the same in src/Polydev.Client/LoginSessions/LoginSessionEnding.cs).

const endings: Readonly<Record<string, string>> = {
  ended_by_user: "You ended this session.",
  time_limit: "This session reached its time limit. Start a new one to go on.",
  idle: "This session ended because nothing was typed or clicked for a while.",
  sandbox_lost: "The remote browser's sandbox was lost. Start a new session.",
  channel_refused: "A message between this page and the remote browser was changed on the way. The session was refused: nothing that came after it was trusted.",
  opening_refused: "The remote browser could not open this page's request (it was sealed to another key or changed on the way). The session was refused.",
  stream_failed: "The remote browser or its screen stream stopped working. Start a new session.",
  not_opened: "This session was not opened in time. Start a new one.",
  server_stopped: "The Polydev server stopped. Start a new session.",
  connected: "The account was connected.",
  login_failed: "The CLI's sign-in ended without a credential (refused or cancelled on the sign-in page). Nothing was stored.",
  credential_refused: "The CLI wrote a credential of a shape Polydev cannot use. Nothing was stored.",
};

export function isKnownEnding(reason: string | null | undefined): boolean {
  return typeof reason === "string" && Object.hasOwn(endings, reason);
}

export function endingSentence(reason: string | null | undefined): string {
  return (reason && endings[reason]) ?? "This session has ended.";
}

/** When this page itself finds a message from the sandbox that fails authentication. */
export const tamperedSentence =
  "A message from the remote browser was changed or forged on the way (it failed authentication under this session's key). The session was refused.";

const cliNames: Readonly<Record<string, string>> = { anthropic: "Claude Code", openai: "Codex", google: "Gemini CLI" };

/** The provider's CLI as people call it (Providers.CliName). */
export function cliName(provider: string): string {
  return cliNames[provider] ?? `The ${provider} CLI`;
}

/** A session this page connected: the credential is stored in the vault. */
export function connectedSentence(provider: string, account: string | null): string {
  return `Connected ${cliName(provider)}${account ? ` as ${account}` : ""}.`;
}

/** A session the terminal started: it checks and stores the credential itself. */
export const connectedForTerminalSentence = "Connected — your terminal stores the credential.";
