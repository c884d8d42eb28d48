using Polydev.Contracts.Jobs;

namespace Polydev.Agent.Tests;

/// <summary>Issue 14: a follow-up's prompt carries the turns before it, marked as the conversation so far.</summary>
public sealed class ConversationTests
{
    [Fact]
    public void A_first_turn_is_the_prompt_alone_and_a_follow_up_puts_the_earlier_turns_before_it_in_order()
    {
        Assert.Equal("Say hello.", Conversation.Prompt(null, "Say hello."));
        Assert.Equal("Say hello.", Conversation.Prompt([], "Say hello."));

        string prompt = Conversation.Prompt(
            [new JobTurn { Role = JobTurn.User, Text = "What is 2+2?\n" }, new JobTurn { Role = JobTurn.Assistant, Text = "4" }],
            "And times 3?");

        Assert.Equal(
            "This message continues a conversation. The turns so far, oldest first:\n\n<conversation>\n<user>\nWhat is 2+2?\n</user>\n<assistant>\n4\n</assistant>\n</conversation>\n\nThe user's new message, to answer now:\n\nAnd times 3?",
            prompt);
    }
}
