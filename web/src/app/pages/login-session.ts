// The remote browser of a login session (docs/login-sessions.md): /login-sessions/new starts one; /login-sessions/:id
// attaches to one `polydev login-sessions start` made. Options in the query: url (the first page), ice=relay,
// transport=udp|tcp, codec=vp8|h264, path=vnc (skip WebRTC), size=WxH (a fixed remote size).
import { LoginSessionsClient } from "../login/sessions.ts";
import { LoginViewer } from "../login/viewer.ts";
import { ViewerView } from "../login/viewer-view.ts";
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
      view = new ViewerView({
        end: () => void viewer?.endByUser(sessionId ?? view?.root.dataset["session"] ?? null),
        paste: (text) => viewer?.pasteText(text),
        copy: () => viewer?.requestCopy(),
        resized: (size) => viewer?.resize(size),
      });
      viewer = new LoginViewer(sessions, view, {
        startUrl: ctx.query.get("url"),
        relayOnly: ctx.query.get("ice") === "relay",
        transport: transport === "udp" || transport === "tcp" ? transport : null,
        codec: ctx.query.get("codec"),
        forceVnc: ctx.query.get("path") === "vnc",
        size: fixedSize(ctx.query.get("size")),
      });
      const shown = view;
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

function fixedSize(text: string | null): { width: number; height: number } | null {
  const match = /^(\d{3,4})x(\d{3,4})$/.exec(text ?? "");
  return match ? { width: Number(match[1]) & ~1, height: Number(match[2]) & ~1 } : null;
}
