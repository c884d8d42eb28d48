// Chats and their messages, sealed and opened in the page under userKey (docs/vault.md): a chat's title is its
// UTF-8 text (kind chat.title), a message is UTF-8 JSON {role, text, provider, model} (kind chat.message). Each
// envelope is opened with the context this page expects (the record it asked for), never the labels the server
// sends beside it, so an envelope moved to another record fails instead of showing in the wrong place.
import type { Keys } from "../account/keys.ts";
import type { Api } from "../api/client.ts";
import { routes } from "../api/routes.ts";
import type { ChatResponse, EncryptedValue, MessageResponse, PageOf } from "../api/types.ts";
import { openText, sealJson, sealText } from "./cipher.ts";
import { newId } from "./ids.ts";

export interface ChatMessageBody {
  readonly role: "user" | "assistant";
  readonly text: string;
  /** For answers: whose CLI produced it; null for the user's own messages. */
  readonly provider: string | null;
  /** For answers: the model as the provider names it; null when unknown. */
  readonly model: string | null;
}

export interface Chat {
  readonly id: string;
  /** The decrypted title; null when it would not open. */
  readonly title: string | null;
  readonly revision: number;
  readonly messageCount: number;
  readonly lastMessageAt: string | null;
  readonly createdAt: string;
}

export interface Message {
  readonly id: string;
  readonly createdAt: string;
  /** null when the envelope would not open or its JSON is not a chat message. */
  readonly body: ChatMessageBody | null;
}

/** A record that does not open shows as unreadable instead of failing the whole page. */
async function openOrNull(keys: Keys, kind: "chat.title" | "chat.message", recordId: string, value: EncryptedValue): Promise<string | null> {
  try {
    return await openText(keys, kind, recordId, value, kind === "chat.title" ? "chat title" : "message");
  } catch {
    return null;
  }
}

export function sealTitle(keys: Keys, chatId: string, title: string): Promise<EncryptedValue> {
  return sealText(keys, "chat.title", chatId, title);
}

export async function openChat(keys: Keys, chat: ChatResponse): Promise<Chat> {
  return {
    id: chat.id,
    title: await openOrNull(keys, "chat.title", chat.id, chat.title),
    revision: chat.revision,
    messageCount: chat.messageCount,
    lastMessageAt: chat.lastMessageAt,
    createdAt: chat.createdAt,
  };
}

/** All four fields are written, nulls included (docs/vault.md). */
export function sealMessage(keys: Keys, messageId: string, body: ChatMessageBody): Promise<EncryptedValue> {
  const { role, text, provider, model } = body;
  return sealJson(keys, "chat.message", messageId, { role, text, provider, model });
}

export async function openMessage(keys: Keys, message: MessageResponse): Promise<Message> {
  const json = await openOrNull(keys, "chat.message", message.id, message.body);
  return { id: message.id, createdAt: message.createdAt, body: json === null ? null : parseMessageBody(json) };
}

/** Readers require role and text, accept provider and model missing (as null), and ignore unknown fields. */
export function parseMessageBody(json: string): ChatMessageBody | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  if ((v["role"] !== "user" && v["role"] !== "assistant") || typeof v["text"] !== "string") return null;
  return {
    role: v["role"],
    text: v["text"],
    provider: typeof v["provider"] === "string" ? v["provider"] : null,
    model: typeof v["model"] === "string" ? v["model"] : null,
  };
}

/** The chats API with sealing and opening done: what the chats and run pages call. */
export class ChatVault {
  constructor(private readonly api: Api, private readonly keys: Keys) {}

  /** One keyset page of chats, newest first (the server's order); `cursor` from the previous page. */
  async listPage(cursor: string | null, limit = 50, signal?: AbortSignal): Promise<{ chats: Chat[]; nextCursor: string | null }> {
    const query = `?limit=${limit}${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`;
    const page = await this.api.json<PageOf<ChatResponse>>("GET", routes.chats + query, undefined, signal);
    return { chats: await Promise.all(page.items.map((c) => openChat(this.keys, c))), nextCursor: page.nextCursor };
  }

  async get(id: string, signal?: AbortSignal): Promise<Chat> {
    return openChat(this.keys, await this.api.getChat(id, signal));
  }

  async create(title: string): Promise<Chat> {
    const id = newId();
    return openChat(this.keys, await this.api.createChat({ id, title: await sealTitle(this.keys, id, title) }));
  }

  async rename(chat: Chat, title: string): Promise<Chat> {
    return openChat(this.keys, await this.api.updateChat(chat.id, { title: await sealTitle(this.keys, chat.id, title), revision: chat.revision }));
  }

  delete(id: string): Promise<void> {
    return this.api.deleteChat(id);
  }

  /** Every message of a chat, oldest first. */
  async messages(chatId: string, signal?: AbortSignal): Promise<Message[]> {
    const items = await this.api.listMessages(chatId, signal);
    return Promise.all(items.map((m) => openMessage(this.keys, m)));
  }

  async addMessage(chatId: string, body: ChatMessageBody): Promise<Message> {
    const id = newId();
    const saved = await this.api.createMessage(chatId, { id, body: await sealMessage(this.keys, id, body) });
    return { id: saved.id, createdAt: saved.createdAt, body };
  }
}
