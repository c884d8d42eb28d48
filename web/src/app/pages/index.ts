// Every routed page, in match order. A new page is one line here (and its file in pages/).
import type { App } from "../app.ts";
import { chatPage } from "./chat.ts";
import { chatsPage } from "./chats.ts";
import { loginSessionPage } from "./login-session.ts";
import { providersPage } from "./providers.ts";
import { recoverPage } from "./recover.ts";
import { settingsPage } from "./settings.ts";
import { signinPage } from "./signin.ts";
import { signupPage } from "./signup.ts";

export function registerPages(app: App): void {
  app.register({ path: "/signin", access: "public", create: signinPage });
  app.register({ path: "/signup", access: "public", create: signupPage });
  app.register({ path: "/recover", access: "public", create: recoverPage });
  app.register({ path: "/chats", access: "unlocked", nav: "chats", create: chatsPage });
  app.register({ path: "/chats/:chatId", access: "unlocked", nav: "chats", create: chatPage });
  app.register({ path: "/providers", access: "unlocked", nav: "providers", create: providersPage });
  app.register({ path: "/settings", access: "unlocked", nav: "settings", create: settingsPage });
  app.register({ path: "/login-sessions/:sessionId", access: "unlocked", nav: "providers", create: loginSessionPage });
}
