namespace Polydev.Crypto.Tests;

/// <summary>What the server checks: it has no key, so only length and header.</summary>
public sealed class EnvelopeShapeTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(12)]
    [InlineData(29)]
    public void Too_short_envelopes_are_rejected_with_their_length(int length)
    {
        byte[] envelope = new byte[length];
        if (length >= 2)
        {
            envelope[0] = Envelope.Version1;
            envelope[1] = Envelope.AlgorithmAes256Gcm;
        }

        Assert.False(Envelope.TryValidateShape(envelope, out string? error));
        Assert.Equal($"Envelope is {length} bytes; the minimum is 30 (header, nonce and tag).", error);
    }

    [Fact]
    public void Unsupported_version_is_rejected()
    {
        byte[] envelope = ValidShape(length: 30);
        envelope[0] = 0x02;

        Assert.False(Envelope.TryValidateShape(envelope, out string? error));
        Assert.Equal("Envelope version 2 is not supported (expected 1).", error);
    }

    [Fact]
    public void Unsupported_algorithm_is_rejected()
    {
        byte[] envelope = ValidShape(length: 30);
        envelope[1] = 0x07;

        Assert.False(Envelope.TryValidateShape(envelope, out string? error));
        Assert.Equal("Envelope algorithm 7 is not supported (expected 1, AES-256-GCM).", error);
    }

    [Theory]
    [InlineData(30)]
    [InlineData(31)]
    [InlineData(10_000)]
    public void Well_formed_envelopes_pass_without_a_key(int length)
    {
        Assert.True(Envelope.TryValidateShape(ValidShape(length), out string? error));
        Assert.Null(error);
    }

    [Fact]
    public void A_sealed_envelope_has_a_valid_shape()
    {
        var context = new EnvelopeContext(EnvelopeKinds.ChatTitle, Guid.NewGuid(), Guid.NewGuid());

        Assert.True(Envelope.TryValidateShape(Envelope.Seal(UserKey.Generate(), [], context), out _));
    }

    private static byte[] ValidShape(int length)
    {
        byte[] envelope = new byte[length];
        envelope[0] = Envelope.Version1;
        envelope[1] = Envelope.AlgorithmAes256Gcm;
        return envelope;
    }
}
