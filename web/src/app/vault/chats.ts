// Chats and their messages, sealed and opened in the page under userKey (docs/vault.md): a chat's title is its
// UTF-8 text (kind chat.title), a message is UTF-8 JSON {role, text, provider, model} (kind chat.message), bound to
// its chat. Each envelope is opened with the context this page expects (the record it asked for), never the labels
// the server sends beside it, so an envelope moved to another record or chat fails instead of showing in the wrong
// place. Messages are shown in the order of their ids (UUIDv7: creation time first), which their envelopes
// authenticate, not in the server's order.
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
  /**
   * A run that failed: why (the agent's kind and status) and the sentence the user was shown. Such a message is a
   * failure, never an answer (its text is only what arrived before it failed). Absent for everything else.
   */
  readonly failure?: ChatFailure | undefined;
}

export interface ChatFailure {
  readonly kind: string;
  readonly status: number | null;
  readonly message: string;
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
  /** Sealed before messages were bound to their chat (issue 13): readable, re-sealed bound once read. */
  readonly legacy: boolean;
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

/** All four fields are written, nulls included (docs/vault.md); the envelope is bound to the chat. */
export function sealMessage(keys: Keys, chatId: string, messageId: string, body: ChatMessageBody): Promise<EncryptedValue> {
  const { role, text, provider, model } = body;
  return sealJson(keys, "chat.message", messageId, { role, text, provider, model }, chatId);
}

/** Opens a message of `chatId`; one sealed before messages were bound opens too, marked legacy. */
export async function openMessage(keys: Keys, chatId: string, message: MessageResponse): Promise<Message> {
  let json: string | null = null;
  let legacy = false;
  try {
    json = await openText(keys, "chat.message", message.id, message.body, "message", chatId);
  } catch {
    json = await openOrNull(keys, "chat.message", message.id, message.body);
    legacy = json !== null;
  }
  return { id: message.id, createdAt: message.createdAt, body: json === null ? null : parseMessageBody(json), legacy };
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
  const f = v["failure"];
  const failure = typeof f === "object" && f !== null && typeof (f as Record<string, unknown>)["kind"] === "string"
    && typeof (f as Record<string, unknown>)["message"] === "string"
    ? {
      kind: (f as Record<string, unknown>)["kind"] as string,
      status: typeof (f as Record<string, unknown>)["status"] === "number" ? (f as Record<string, unknown>)["status"] as number : null,
      message: (f as Record<string, unknown>)["message"] as string,
    }
    : undefined;
  return {
    role: v["role"],
    text: v["text"],
    provider: typeof v["provider"] === "string" ? v["provider"] : null,
    model: typeof v["model"] === "string" ? v["model"] : null,
    ...(failure === undefined ? {} : { failure }),
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

  /**
   * Every message of a chat, oldest first by id (authenticated), not by the server's order. Messages sealed before
   * they were bound to their chat are re-sealed bound, in place, as they are read; one changed meanwhile waits.
   */
  async messages(chatId: string, signal?: AbortSignal): Promise<Message[]> {
    const items = [...await this.api.listMessages(chatId, signal)].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const opened = await Promise.all(items.map((m) => openMessage(this.keys, chatId, m)));
    for (const [i, message] of opened.entries()) {
      if (!message.legacy || message.body === null) continue;
      try {
        await this.api.updateMessage(chatId, message.id, { body: await sealMessage(this.keys, chatId, message.id, message.body), revision: items[i]!.revision });
        opened[i] = { ...message, legacy: false };
      } catch {
        // Changed or gone meanwhile: it is read again (and re-sealed) next time.
      }
    }
    return opened;
  }

  async addMessage(chatId: string, body: ChatMessageBody): Promise<Message> {
    const id = newId();
    const saved = await this.api.createMessage(chatId, { id, body: await sealMessage(this.keys, chatId, id, body) });
    return { id: saved.id, createdAt: saved.createdAt, body, legacy: false };
  }
}
