// One provider's thread of a chat, as the next turn's job `history` (docs/executions.md, "Conversations"), by the same
// rules as src/Polydev.Client/Executions/ConversationHistory.cs: each of the user's prompts with this provider's
// answer to it; a prompt this provider did not answer is left out with its answers; a failure is never history; a
// note the user added on its own (no answer after it) is kept. Unreadable messages count as absent.
import type { ChatMessageBody } from "../vault/chats.ts";
import type { JobTurn } from "./contract.generated.ts";

export function conversationHistory(messages: readonly (ChatMessageBody | null)[], provider: string): JobTurn[] {
  const readable = messages.filter((m): m is ChatMessageBody => m !== null);
  const turns: JobTurn[] = [];
  readable.forEach((message, i) => {
    if (message.role !== "user") return;
    const answers: ChatMessageBody[] = [];
    for (const next of readable.slice(i + 1)) {
      if (next.role === "user") break;
      answers.push(next);
    }
    const answer = answers.filter((m) => m.provider === provider && m.failure === undefined).at(-1);
    if (answers.length === 0 || answer !== undefined) turns.push({ role: "user", text: message.text });
    if (answer !== undefined) turns.push({ role: "assistant", text: answer.text });
  });
  return turns;
}
