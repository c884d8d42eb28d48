// Turns failed requests into ApiError, whose message is always words a user can act on. The server's problem+json
// `detail` is written for people and never echoes submitted values (src/Polydev.Server/Http/Problems.cs), so it is
// shown as it is; anything else gets a plain sentence by status.

export class ApiError extends Error {
  override name = "ApiError";

  /**
   * @param status HTTP status, or 0 when no answer came (network failure, aborted).
   * @param title the problem's `title`, when the server sent one.
   * @param detail the problem's `detail`, when the server sent one.
   * @param userMessage what to show; also the Error's message.
   * @param fieldErrors validation problems per request field (`errors`), when the server sent them.
   */
  constructor(
    readonly status: number,
    readonly title: string | null,
    readonly detail: string | null,
    readonly userMessage: string,
    readonly fieldErrors: Readonly<Record<string, readonly string[]>> = {},
  ) {
    super(userMessage);
  }

  /** No answer at all: the server is down or the network is. */
  get isNetworkFailure(): boolean {
    return this.status === 0;
  }
}

export const cannotReachServer = "Cannot reach the Polydev server. Check your connection and try again.";
export const sessionEnded = "Your session has ended. Sign in again.";
export const notUnderstood = "The server sent an answer this page does not understand. Reload the page; if it keeps happening, the server may be a different Polydev version.";

const maxDetailLength = 500;

interface Problem {
  title: string | null;
  detail: string | null;
  errors: Record<string, readonly string[]>;
}

function readProblem(contentType: string | null, body: string): Problem | null {
  const mediaType = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (mediaType !== "application/problem+json" && mediaType !== "application/json") return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
  const record = parsed as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === "string" && value.trim().length > 0 ? oneLine(value) : null);
  const errors: Record<string, readonly string[]> = {};
  if (typeof record["errors"] === "object" && record["errors"] !== null) {
    for (const [field, messages] of Object.entries(record["errors"] as Record<string, unknown>)) {
      if (Array.isArray(messages)) errors[field] = messages.filter((m): m is string => typeof m === "string");
    }
  }
  return { title: text(record["title"]), detail: text(record["detail"]), errors };
}

function oneLine(text: string): string {
  const line = text.split(/[\r\n]+/).filter((part) => part.length > 0).join(" ").trim();
  return line.length <= maxDetailLength ? line : `${line.slice(0, maxDetailLength)}…`;
}

function messageForStatus(status: number, retryAfterSeconds: number | null): string {
  switch (status) {
    case 400: return "The server could not accept this request. Check what you entered and try again.";
    case 401: return "The e-mail or password is wrong.";
    case 403: return "You are not allowed to do this.";
    case 404: return "It no longer exists: it may have been deleted elsewhere.";
    case 409: return "It was changed elsewhere in the meantime. Reload and try again.";
    case 413: return "This is too large for the server to store.";
    case 429: return retryAfterSeconds !== null
      ? `Too many attempts. Try again in ${retryAfterSeconds} seconds.`
      : "Too many attempts. Wait a moment and try again.";
    case 502: case 503: case 504:
      return "The Polydev server is not available right now. Try again in a moment.";
    default:
      return status >= 500
        ? `The Polydev server had a problem (error ${status}). Try again in a moment.`
        : `The server refused the request (error ${status}).`;
  }
}

/**
 * The ApiError for a non-success answer. `signedIn` says whether the request carried a session token: then a 401
 * means the session ended (expired, revoked, or the account is gone), not a wrong password.
 */
export function errorFromResponse(
  status: number, contentType: string | null, body: string, signedIn: boolean, retryAfter: string | null = null,
): ApiError {
  const problem = readProblem(contentType, body);
  const retryAfterSeconds = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : null;
  let message = problem?.detail ?? messageForStatus(status, retryAfterSeconds);
  if (status === 401 && signedIn) message = sessionEnded;
  return new ApiError(status, problem?.title ?? null, problem?.detail ?? null, message, problem?.errors ?? {});
}

/** No answer came: fetch itself failed. The browser's own message says nothing a user can act on. */
export function networkError(): ApiError {
  return new ApiError(0, null, null, cannotReachServer);
}

/** What to show for any error a page catches: ApiError and our own errors carry user-facing messages. */
export function userMessage(error: unknown): string {
  if (error instanceof ApiError) return error.userMessage;
  if (error instanceof DOMException && error.name === "AbortError") return "Cancelled.";
  if (error instanceof UserFacingError) return error.message;
  return "Something went wrong in this page. Reload and try again.";
}

/** An error whose message was written for the user (wrong password, a record that does not decrypt, …). */
export class UserFacingError extends Error {
  override name = "UserFacingError";
}
