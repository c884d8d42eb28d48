using System.Text;

namespace Polydev.Agent;

/// <summary>
/// A follow-up in a chat, for a CLI that starts fresh in every sandbox: the earlier turns go before the new prompt,
/// as one transcript on the CLI's stdin, marked so the model reads them as the conversation so far and answers only
/// the new message (docs/executions.md, "Conversations"). The same for the three CLIs: their own session files would
/// have to be sealed out of one sandbox and restored into the next, and each CLI's format changes with its version.
/// </summary>
internal static class Conversation
{
    public static string Prompt(IReadOnlyList<JobTurn>? history, string prompt)
    {
        if (history is not { Count: > 0 })
        {
            return prompt;
        }

        var text = new StringBuilder();
        text.Append("This message continues a conversation. The turns so far, oldest first:\n\n<conversation>\n");
        foreach (JobTurn turn in history)
        {
            string role = turn.Role == JobTurn.User ? "user" : "assistant";
            text.Append('<').Append(role).Append(">\n").Append(turn.Text.TrimEnd()).Append("\n</").Append(role).Append(">\n");
        }

        text.Append("</conversation>\n\nThe user's new message, to answer now:\n\n").Append(prompt);
        return text.ToString();
    }
}
