using System.Text;

namespace Polydev.Crypto.Tests;

public sealed class EnvelopeContextTests
{
    private static readonly Guid UserId = Guid.Parse("9B2E7C1A-4D3F-4E5A-8B6C-7D8E9F0A1B2C");
    private static readonly Guid RecordId = Guid.Parse("0D1E2F3A-4B5C-4D6E-8F70-8192A3B4C5D6");

    [Fact]
    public void Associated_data_is_the_header_then_the_pipe_joined_context_with_lower_case_ids()
    {
        var context = new EnvelopeContext(EnvelopeKinds.ChatTitle, UserId, RecordId);

        byte[] associatedData = context.GetAssociatedData(Envelope.Version1, Envelope.AlgorithmAes256Gcm);

        byte[] expected =
        [
            0x01, 0x01,
            .. Encoding.UTF8.GetBytes("polydev/v1|chat.title|9b2e7c1a-4d3f-4e5a-8b6c-7d8e9f0a1b2c|0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"),
        ];
        Assert.Equal(expected, associatedData);
    }

    [Theory]
    [InlineData("")]
    [InlineData("chat")]
    [InlineData("Chat.Title")]
    [InlineData("chat.title|00000000-0000-0000-0000-000000000000")]
    public void Unknown_kinds_are_rejected_on_construction(string kind)
    {
        Assert.Throws<ArgumentException>(() => new EnvelopeContext(kind, UserId, RecordId));
    }

    [Fact]
    public void Unknown_kinds_are_rejected_in_with_expressions()
    {
        var context = new EnvelopeContext(EnvelopeKinds.ChatTitle, UserId, RecordId);

        Assert.Throws<ArgumentException>(() => context with { Kind = "chat.title|x" });
    }

    [Fact]
    public void A_default_context_cannot_seal_or_open()
    {
        byte[] key = UserKey.Generate();
        byte[] envelope = Envelope.Seal(key, "x"u8, new EnvelopeContext(EnvelopeKinds.ChatTitle, UserId, RecordId));

        Assert.Throws<ArgumentException>(() => Envelope.Seal(key, "x"u8, default));
        Assert.Throws<ArgumentException>(() => Envelope.Open(key, envelope, default));
    }

    [Fact]
    public void Every_documented_kind_is_known_and_has_no_separator()
    {
        string[] documented = ["user.key", "user.recovery-key", "user.private-key", "chat.title", "chat.message", "credential.secret"];

        Assert.Equal(documented, EnvelopeKinds.All);
        Assert.All(documented, kind => Assert.True(EnvelopeKinds.IsKnown(kind)));
        Assert.All(documented, kind => Assert.DoesNotContain('|', kind));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("USER.KEY")]
    [InlineData(" user.key")]
    [InlineData("job.output")]
    public void Other_strings_are_not_known_kinds(string? kind)
    {
        Assert.False(EnvelopeKinds.IsKnown(kind!));
    }
}
