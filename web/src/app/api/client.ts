// The fetch wrapper every page uses: same origin, JSON in and out, the session's bearer token, and failures as
// ApiError with a message for people. Secrets travel only in request bodies, never in URLs or logs.
import { ApiError, errorFromResponse, networkError, notUnderstood } from "./errors.ts";
import { routes } from "./routes.ts";
import type * as T from "./types.ts";

export interface ApiOptions {
  /** Where the API lives; "" means this page's origin (the server serves the page and the API together). */
  readonly baseUrl?: string;
  /** Called when a request that carried a token gets 401: the session is over (expired, revoked, account gone). */
  readonly onSessionEnded?: () => void;
}

type Method = "GET" | "POST" | "PUT" | "DELETE";

export class Api {
  private token: string | null = null;
  private readonly baseUrl: string;
  private readonly onSessionEnded: () => void;

  constructor(options: ApiOptions = {}) {
    this.baseUrl = options.baseUrl ?? "";
    this.onSessionEnded = options.onSessionEnded ?? (() => {});
  }

  /** The bearer token (`pd_s_…`) sent with every request from now on; null to send none. */
  setToken(token: string | null): void {
    this.token = token;
  }

  get hasToken(): boolean {
    return this.token !== null;
  }

  /** Sends a request and returns the raw successful Response (for streams); failures throw ApiError. */
  async send(method: Method, path: string, body?: unknown, init: { signal?: AbortSignal; accept?: string } = {}): Promise<Response> {
    const headers = new Headers({ Accept: init.accept ?? "application/json" });
    const signedIn = this.token !== null;
    if (signedIn) headers.set("Authorization", `Bearer ${this.token}`);
    const request: RequestInit = { method, headers, credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" };
    if (body !== undefined) {
      headers.set("Content-Type", "application/json");
      request.body = JSON.stringify(body);
    }
    if (init.signal) request.signal = init.signal;

    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, request);
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw networkError();
    }
    if (response.ok) return response;

    let text = "";
    try {
      text = await response.text();
    } catch {
      // The body is only used for the problem's wording; the status alone still makes a message.
    }
    const error = errorFromResponse(response.status, response.headers.get("Content-Type"), text, signedIn, response.headers.get("Retry-After"));
    if (response.status === 401 && signedIn) this.onSessionEnded();
    throw error;
  }

  /** JSON request and JSON answer. */
  async json<R>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<R> {
    const response = await this.send(method, path, body, signal ? { signal } : {});
    try {
      return (await response.json()) as R;
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiError(response.status, null, null, notUnderstood);
    }
  }

  /** A request whose answer has no body (204). */
  async call(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<void> {
    const response = await this.send(method, path, body, signal ? { signal } : {});
    await response.body?.cancel();
  }

  /** Every item of a keyset-paged list, following nextCursor at the largest page size the server allows. */
  async allPages<R>(path: string, signal?: AbortSignal): Promise<R[]> {
    const items: R[] = [];
    const separator = path.includes("?") ? "&" : "?";
    let cursor: string | null = null;
    do {
      const page: T.PageOf<R> = await this.json<T.PageOf<R>>(
        "GET", `${path}${separator}limit=200${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`, undefined, signal);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return items;
  }

  // Accounts and sessions

  signup(request: T.SignupRequest): Promise<T.AccountCreatedResponse> { return this.json("POST", routes.accounts, request); }
  prelogin(email: string): Promise<T.PreloginResponse> { return this.json("POST", routes.prelogin, { email }); }
  login(request: T.LoginRequest): Promise<T.LoginResponse> { return this.json("POST", routes.login, request); }
  logout(): Promise<void> { return this.call("POST", routes.logout); }
  getAccount(signal?: AbortSignal): Promise<T.AccountKeysResponse> { return this.json("GET", routes.account, undefined, signal); }
  changePassword(request: T.ChangePasswordRequest): Promise<void> { return this.call("PUT", routes.accountPassword, request); }
  runtimes(signal?: AbortSignal): Promise<T.RuntimesResponse> { return this.json("GET", routes.runtimes, undefined, signal); }
  rotateKeys(request: T.RotateKeysRequest, signal?: AbortSignal): Promise<T.AccountKeysResponse> { return this.json("PUT", routes.accountKeys, request, signal); }
  setRecovery(request: T.SetRecoveryRequest): Promise<void> { return this.call("PUT", routes.accountRecovery, request); }
  deleteAccount(request: T.DeleteAccountRequest): Promise<void> { return this.call("POST", routes.accountDelete, request); }
  recoveryVerify(request: T.RecoveryVerifyRequest): Promise<T.RecoveryVerifyResponse> { return this.json("POST", routes.recoveryVerify, request); }
  recoveryReset(request: T.RecoveryResetRequest): Promise<void> { return this.call("POST", routes.recoveryReset, request); }
  listSessions(signal?: AbortSignal): Promise<T.SessionResponse[]> { return this.json("GET", routes.sessions, undefined, signal); }
  /** Signs out every other session; this one stays. */
  revokeOtherSessions(): Promise<void> { return this.call("DELETE", routes.sessions); }

  // Vault: chats and messages

  listChats(signal?: AbortSignal): Promise<T.ChatResponse[]> { return this.allPages(routes.chats, signal); }
  getChat(id: string, signal?: AbortSignal): Promise<T.ChatResponse> { return this.json("GET", routes.chat(id), undefined, signal); }
  createChat(request: T.CreateChatRequest): Promise<T.ChatResponse> { return this.json("POST", routes.chats, request); }
  updateChat(id: string, request: T.UpdateChatRequest): Promise<T.ChatResponse> { return this.json("PUT", routes.chat(id), request); }
  deleteChat(id: string): Promise<void> { return this.call("DELETE", routes.chat(id)); }
  listMessages(chatId: string, signal?: AbortSignal): Promise<T.MessageResponse[]> { return this.allPages(routes.messages(chatId), signal); }
  createMessage(chatId: string, request: T.CreateMessageRequest): Promise<T.MessageCreatedResponse> { return this.json("POST", routes.messages(chatId), request); }
  updateMessage(chatId: string, id: string, request: T.UpdateMessageRequest): Promise<T.MessageResponse> { return this.json("PUT", routes.message(chatId, id), request); }
  deleteMessage(chatId: string, id: string): Promise<void> { return this.call("DELETE", routes.message(chatId, id)); }

  // Vault: provider credentials

  listCredentials(provider?: T.Provider, signal?: AbortSignal): Promise<T.CredentialResponse[]> {
    return this.allPages(provider ? `${routes.credentials}?provider=${provider}` : routes.credentials, signal);
  }
  getCredential(id: string, signal?: AbortSignal): Promise<T.CredentialResponse> { return this.json("GET", routes.credential(id), undefined, signal); }
  createCredential(request: T.CreateCredentialRequest): Promise<T.CredentialResponse> { return this.json("POST", routes.credentials, request); }
  updateCredential(id: string, request: T.UpdateCredentialRequest): Promise<T.CredentialResponse> { return this.json("PUT", routes.credential(id), request); }
  deleteCredential(id: string): Promise<void> { return this.call("DELETE", routes.credential(id)); }

  // Executions (the stream is read with send(), see run/)

  createExecution(request: T.CreateExecutionRequest, signal?: AbortSignal): Promise<T.ExecutionCreatedResponse> { return this.json("POST", routes.executions, request, signal); }
  startExecution(id: string, request: T.StartExecutionRequest, signal?: AbortSignal): Promise<T.ExecutionResponse> { return this.json("POST", routes.executionStart(id), request, signal); }
  getExecution(id: string, signal?: AbortSignal): Promise<T.ExecutionResponse> { return this.json("GET", routes.execution(id), undefined, signal); }
  cancelExecution(id: string): Promise<T.ExecutionResponse> { return this.json("POST", routes.executionCancel(id)); }
}
