using Polydev.Client.Vault;
using Polydev.Contracts.Jobs;

namespace Polydev.Client.Executions;

/// <summary>
/// One provider's thread of a chat, as the next turn's <see cref="Job.History"/> (docs/executions.md,
/// "Conversations"): each of the user's prompts with this provider's answer to it. A prompt this provider did not
/// answer (it failed, or only another provider answered) is left out with its answers, since the conversation the
/// CLI continues never had it; a failure is never history; a note the user added on its own (no answer after it) is
/// kept. With several providers on one prompt, each continues its own thread.
/// </summary>
internal static class ConversationHistory
{
    /// <param name="messages">The chat's messages in their authenticated order (by id).</param>
    public static List<JobTurn> For(IReadOnlyList<ChatMessageBody> messages, string provider)
    {
        var turns = new List<JobTurn>();
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i].Role != ChatMessageBody.User)
            {
                continue;
            }

            var answers = messages.Skip(i + 1).TakeWhile(m => m.Role != ChatMessageBody.User).ToList();
            var answer = answers.LastOrDefault(m => m.Provider == provider && m.Failure is null);
            if (answers.Count == 0 || answer is not null)
            {
                turns.Add(new JobTurn { Role = JobTurn.User, Text = messages[i].Text });
            }

            if (answer is not null)
            {
                turns.Add(new JobTurn { Role = JobTurn.Assistant, Text = answer.Text });
            }
        }

        return turns;
    }
}
