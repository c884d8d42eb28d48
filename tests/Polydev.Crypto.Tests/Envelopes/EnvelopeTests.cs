using Polydev.Crypto.Tests.Support;

namespace Polydev.Crypto.Tests;

public sealed class EnvelopeTests
{
    private static readonly byte[] Key = SHA256.HashData("envelope test key"u8);
    private static readonly Guid UserId = Guid.Parse("9b2e7c1a-4d3f-4e5a-8b6c-7d8e9f0a1b2c");
    private static readonly EnvelopeContext Context = new(EnvelopeKinds.ChatMessage, UserId, Guid.Parse("0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(100_000)]
    public void Seal_then_Open_round_trips(int length)
    {
        byte[] plaintext = RandomNumberGenerator.GetBytes(length);

        byte[] envelope = Envelope.Seal(Key, plaintext, Context);

        Assert.Equal(plaintext, Envelope.Open(Key, envelope, Context));
    }

    [Fact]
    public void Seal_writes_header_nonce_ciphertext_and_tag()
    {
        byte[] envelope = Envelope.Seal(Key, "hello"u8, Context);

        Assert.Equal(Envelope.Overhead + 5, envelope.Length);
        Assert.Equal(30, Envelope.Overhead);
        Assert.Equal(Envelope.Version1, envelope[0]);
        Assert.Equal(Envelope.AlgorithmAes256Gcm, envelope[1]);
    }

    [Fact]
    public void Seal_uses_a_fresh_nonce_each_time()
    {
        byte[] first = Envelope.Seal(Key, "same"u8, Context);
        byte[] second = Envelope.Seal(Key, "same"u8, Context);

        Assert.NotEqual(first.AsSpan(2, 12).ToArray(), second.AsSpan(2, 12).ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    [InlineData(31)]
    [InlineData(33)]
    public void Keys_that_are_not_32_bytes_are_rejected(int length)
    {
        byte[] envelope = Envelope.Seal(Key, "x"u8, Context);

        Assert.Throws<ArgumentException>(() => Envelope.Seal(new byte[length], "x"u8, Context));
        Assert.Throws<ArgumentException>(() => Envelope.Open(new byte[length], envelope, Context));
    }

    [Fact]
    public void Open_fails_with_another_key()
    {
        byte[] envelope = Envelope.Seal(Key, "secret"u8, Context);

        Assert.Throws<EnvelopeException>(() => Envelope.Open(SHA256.HashData("other key"u8), envelope, Context));
    }

    public static TheoryData<string, int, int> Regions => new()
    {
        // region, offset, length -- in an envelope around a 5-byte plaintext (35 bytes)
        { "header", 0, 2 },
        { "nonce", 2, 12 },
        { "ciphertext", 14, 5 },
        { "tag", 19, 16 },
    };

    [Theory]
    [MemberData(nameof(Regions))]
    public void Open_fails_for_every_flipped_bit(string region, int offset, int length)
    {
        byte[] envelope = Envelope.Seal(Key, "hello"u8, Context);
        Assert.Equal(35, envelope.Length);

        for (int bit = offset * 8; bit < (offset + length) * 8; bit++)
        {
            byte[] tampered = Bits.Flip(envelope, bit);
            var exception = Record.Exception(() => Envelope.Open(Key, tampered, Context));
            Assert.True(exception is EnvelopeException, $"Flipping bit {bit} ({region}) was not detected.");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    public void Open_fails_when_the_tag_is_truncated(int missingBytes)
    {
        byte[] envelope = Envelope.Seal(Key, "hello world, longer than a tag"u8, Context);

        Assert.Throws<EnvelopeException>(() => Envelope.Open(Key, envelope.AsSpan(0, envelope.Length - missingBytes), Context));
    }

    [Fact]
    public void Open_fails_when_bytes_are_appended()
    {
        byte[] envelope = [.. Envelope.Seal(Key, "hello"u8, Context), 0x00];

        Assert.Throws<EnvelopeException>(() => Envelope.Open(Key, envelope, Context));
    }

    [Fact]
    public void Open_fails_for_another_kind()
    {
        byte[] envelope = Envelope.Seal(Key, "hello"u8, Context);

        Assert.Throws<EnvelopeException>(() => Envelope.Open(Key, envelope, Context with { Kind = EnvelopeKinds.ChatTitle }));
    }

    [Fact]
    public void Open_fails_for_another_user()
    {
        byte[] envelope = Envelope.Seal(Key, "hello"u8, Context);

        Assert.Throws<EnvelopeException>(() => Envelope.Open(Key, envelope, Context with { UserId = Guid.NewGuid() }));
    }

    [Fact]
    public void Open_fails_for_another_record()
    {
        byte[] envelope = Envelope.Seal(Key, "hello"u8, Context);

        Assert.Throws<EnvelopeException>(() => Envelope.Open(Key, envelope, Context with { RecordId = Guid.NewGuid() }));
    }

    [Fact]
    public void Open_fails_when_user_and_record_ids_are_swapped()
    {
        var context = new EnvelopeContext(EnvelopeKinds.ChatTitle, UserId, Guid.Parse("11111111-2222-4333-8444-555555555555"));
        byte[] envelope = Envelope.Seal(Key, "hello"u8, context);

        var swapped = new EnvelopeContext(EnvelopeKinds.ChatTitle, context.RecordId, context.UserId);
        Assert.Throws<EnvelopeException>(() => Envelope.Open(Key, envelope, swapped));
    }

    [Fact]
    public void Open_reports_an_unsupported_version()
    {
        byte[] envelope = Envelope.Seal(Key, "hello"u8, Context);
        envelope[0] = 0x02;

        var exception = Assert.Throws<EnvelopeException>(() => Envelope.Open(Key, envelope, Context));
        Assert.Equal("Envelope version 2 is not supported (expected 1).", exception.Message);
    }

    [Fact]
    public void Open_reports_an_unsupported_algorithm()
    {
        byte[] envelope = Envelope.Seal(Key, "hello"u8, Context);
        envelope[1] = 0x02;

        var exception = Assert.Throws<EnvelopeException>(() => Envelope.Open(Key, envelope, Context));
        Assert.Equal("Envelope algorithm 2 is not supported (expected 1, AES-256-GCM).", exception.Message);
    }

    [Fact]
    public void Authentication_failure_message_names_no_key_material()
    {
        byte[] envelope = Envelope.Seal(Key, "hello"u8, Context);
        envelope[^1] ^= 0x01;

        var exception = Assert.Throws<EnvelopeException>(() => Envelope.Open(Key, envelope, Context));
        Assert.Equal(
            "The envelope failed authentication: wrong key, a different kind, user or record, or the bytes were modified.",
            exception.Message);
        Assert.DoesNotContain(Convert.ToHexString(Key), exception.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void EnvelopeException_is_a_CryptographicException()
    {
        Assert.IsAssignableFrom<CryptographicException>(new EnvelopeException("x"));
    }

    /// <summary>A binding (a message's chat, a credential's provider) is one more field: never empty, never with '|'.</summary>
    [Theory]
    [InlineData("")]
    [InlineData("anthropic|openai")]
    [InlineData("|")]
    public void A_binding_that_could_blur_the_fields_is_refused(string binding)
    {
        var context = Context with { Binding = binding };
        Assert.Throws<ArgumentException>(() => Envelope.Seal(Key, [1], context));
        Assert.Throws<ArgumentException>(() => Envelope.Open(Key, Envelope.Seal(Key, [1], Context), context));

        // A valid binding opens only as itself.
        var bound = Envelope.Seal(Key, [1], Context with { Binding = "anthropic" });
        Assert.Equal([1], Envelope.Open(Key, bound, Context with { Binding = "anthropic" }));
        Assert.Throws<EnvelopeException>(() => Envelope.Open(Key, bound, Context with { Binding = "openai" }));
        Assert.Throws<EnvelopeException>(() => Envelope.Open(Key, bound, Context));
    }
}
