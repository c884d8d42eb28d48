// The remote browser of a login session (docs/login-sessions.md): /login-sessions/new starts one; /login-sessions/:id
// attaches to one `polydev login-sessions start` made. Options in the query: url (the first page), ice=relay,
// transport=udp|tcp, codec=vp8|h264, path=vnc (skip WebRTC), size=WxH (a fixed remote size).
//
// `connect=PROVIDER` connects that provider's account (docs/web.md): from /login-sessions/new the page seals the
// credential to the user's own key and stores it in the vault when the session ends `connected`; on a session the
// terminal started (`polydev credentials login`), the fragment carries the terminal's keys and the terminal stores it.
// The route is behind the unlock, so a locked page unlocks first and comes back here with the query and fragment.
import type { Keys } from "../account/keys.ts";
import type { Api } from "../api/client.ts";
import { connectForTerminal, connectFromThisPage, connectProvider, type ConnectRequest } from "../login/connect.ts";
import { LoginSessionsClient } from "../login/sessions.ts";
import { LoginViewer, type ConnectOutcome, type ViewerConnect } from "../login/viewer.ts";
import { ViewerView } from "../login/viewer-view.ts";
import { cliName, connectedForTerminalSentence, connectedSentence } from "../login/words.ts";
import { openCapture, storeConnected } from "../vault/connected-accounts.ts";
import type { Page, PageContext } from "./page.ts";

export function loginSessionPage(): Page {
  let viewer: LoginViewer | null = null;
  let view: ViewerView | null = null;
  return {
    id: "login-session",
    title: "Remote browser",
    render(ctx: PageContext) {
      const requested = ctx.params["sessionId"] ?? "new";
      let sessionId: string | null = requested === "new" ? null : requested;
      const sessions = new LoginSessionsClient(ctx.api);
      const transport = ctx.query.get("transport");
      // The terminal's keys are read once and then taken out of the address bar, so they linger in no history entry.
      const hash = location.hash;
      if (hash !== "") history.replaceState(history.state, "", location.pathname + location.search);
      view = new ViewerView({
        end: () => void viewer?.endByUser(sessionId ?? view?.root.dataset["session"] ?? null),
        paste: (text) => viewer?.pasteText(text),
        copy: () => viewer?.requestCopy(),
        resized: (size) => viewer?.resize(size),
      });
      const shown = view;
      let connect: ViewerConnect | null;
      try {
        connect = connectFor(ctx, sessionId, hash, sessions);
      } catch (error) {
        shown.ended(error instanceof Error ? error.message : "This session cannot connect an account.", null);
        return shown.root;
      }
      if (connect !== null) shown.connecting(connect.request.provider, cliName(connect.request.provider), connect.request.forTerminal);
      viewer = new LoginViewer(sessions, shown, {
        startUrl: ctx.query.get("url"),
        relayOnly: ctx.query.get("ice") === "relay",
        transport: transport === "udp" || transport === "tcp" ? transport : null,
        codec: ctx.query.get("codec"),
        forceVnc: ctx.query.get("path") === "vnc",
        size: fixedSize(ctx.query.get("size")),
        connect,
      });
      viewer.run(sessionId, ctx.signal).then(() => {
        sessionId = shown.root.dataset["session"] ?? sessionId;
      }).catch((error: unknown) => {
        if (ctx.signal.aborted) return;
        shown.ended(error instanceof Error ? error.message : "The session could not start.", null);
      });
      return shown.root;
    },
    dispose() {
      viewer?.dispose();
      view?.dispose();
    },
  };
}

/** What connecting means on this page: none, for the terminal (keys from the fragment), or for this page. */
function connectFor(ctx: PageContext, sessionId: string | null, hash: string, sessions: LoginSessionsClient): ViewerConnect | null {
  const provider = connectProvider(ctx.query.get("connect"));
  if (provider === null) return null;
  if (sessionId !== null) {
    const request = connectForTerminal(provider, hash, ctx.keys.publicKey);
    // The terminal holds the proof key and stores the credential; this page has nothing more to do.
    return { request, finish: async () => ({ sentence: connectedForTerminalSentence, account: null, credentialId: null }) };
  }
  const request = connectFromThisPage(provider, ctx.keys.publicKey);
  return { request, finish: (id) => storeCapture(ctx.api, ctx.keys, sessions, id, request, ctx.signal) };
}

/** The session ended connected: fetch its capture, check the tag, open it with the user's key, store it. */
async function storeCapture(
  api: Api, keys: Keys, sessions: LoginSessionsClient, id: string, request: ConnectRequest, signal: AbortSignal,
): Promise<ConnectOutcome> {
  try {
    const { sealedCredential } = await sessions.credential(id, signal);
    if (sealedCredential === null) throw new Error("The session ended connected, but the server holds no credential for it; connect again.");
    const captured = await openCapture(keys, sealedCredential, request.proofKey, request.provider);
    if (signal.aborted) throw new DOMException("Aborted", "AbortError");
    const stored = await storeConnected(api, keys, captured);
    return { sentence: connectedSentence(request.provider, captured.account), account: captured.account, credentialId: stored.id };
  } finally {
    // One capture per proof key: it has done its job.
    request.proofKey.fill(0);
  }
}

function fixedSize(text: string | null): { width: number; height: number } | null {
  const match = /^(\d{3,4})x(\d{3,4})$/.exec(text ?? "");
  return match ? { width: Number(match[1]) & ~1, height: Number(match[2]) & ~1 } : null;
}
