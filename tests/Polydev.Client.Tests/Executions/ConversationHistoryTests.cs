using Polydev.Client.Executions;
using Polydev.Client.Vault;
using Polydev.Contracts.Jobs;

namespace Polydev.Client.Tests.Executions;

/// <summary>Issue 14: which turns of a chat go with a follow-up, per provider.</summary>
public sealed class ConversationHistoryTests
{
    private static ChatMessageBody User(string text) => new(ChatMessageBody.User, text);

    private static ChatMessageBody Answer(string provider, string text) => new(ChatMessageBody.Assistant, text, provider);

    private static ChatMessageBody Failed(string provider) =>
        new(ChatMessageBody.Assistant, "half an answ", provider, Failure: new ChatFailure(FailureKinds.TimeLimit, null, "Codex did not finish."));

    [Fact]
    public void Each_provider_continues_its_own_thread_without_failures_or_prompts_it_never_answered()
    {
        ChatMessageBody[] chat =
        [
            User("a note to myself"),                                   // no answer after it: the user's own context
            User("first question"), Answer("anthropic", "claude 1"), Answer("openai", "codex 1"), // perspectives
            User("second question"), Failed("openai"), Answer("anthropic", "claude 2"),
            User("only for codex"), Answer("openai", "codex 3"),
        ];

        Assert.Equal(
            ["user: a note to myself", "user: first question", "assistant: claude 1", "user: second question", "assistant: claude 2"],
            ConversationHistory.For(chat, "anthropic").Select(t => $"{t.Role}: {t.Text}"));
        Assert.Equal(
            ["user: a note to myself", "user: first question", "assistant: codex 1", "user: only for codex", "assistant: codex 3"],
            ConversationHistory.For(chat, "openai").Select(t => $"{t.Role}: {t.Text}"));
        Assert.Equal(["user: a note to myself"], ConversationHistory.For(chat, "google").Select(t => $"{t.Role}: {t.Text}"));
        Assert.Empty(ConversationHistory.For([], "anthropic"));
    }
}
