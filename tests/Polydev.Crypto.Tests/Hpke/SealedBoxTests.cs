using System.Text;
using Polydev.Crypto.Tests.Support;

namespace Polydev.Crypto.Tests;

public sealed class SealedBoxTests
{
    private const string Purpose = "job";
    private static readonly byte[] Plaintext = "{\"prompt\":\"hello\"}"u8.ToArray();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4096)]
    public void Seal_then_Open_round_trips(int length)
    {
        using UserKeyPair recipient = UserKeyPair.Generate();
        byte[] plaintext = RandomNumberGenerator.GetBytes(length);

        byte[] sealedBox = SealedBox.Seal(recipient.PublicKey, plaintext, Purpose);

        Assert.Equal(1 + 65 + length + 16, sealedBox.Length);
        Assert.Equal(SealedBox.Version1, sealedBox[0]);
        Assert.Equal(plaintext, SealedBox.Open(recipient, sealedBox, Purpose));
    }

    [Fact]
    public void A_sealed_box_is_version_then_enc_then_HPKE_ciphertext_with_documented_info_and_aad()
    {
        using UserKeyPair recipient = UserKeyPair.Generate();
        byte[] sealedBox = SealedBox.Seal(recipient.PublicKey, Plaintext, Purpose);

        byte[] plaintext = Hpke.OpenBase(
            sealedBox.AsSpan(1, 65),
            recipient,
            Encoding.UTF8.GetBytes("polydev/sealed-box/v1|" + Purpose),
            [SealedBox.Version1],
            sealedBox.AsSpan(66),
            HpkeAead.Aes256Gcm);

        Assert.Equal(Plaintext, plaintext);
    }

    [Fact]
    public void Open_fails_for_another_purpose()
    {
        using UserKeyPair recipient = UserKeyPair.Generate();
        byte[] sealedBox = SealedBox.Seal(recipient.PublicKey, Plaintext, Purpose);

        var exception = Assert.ThrowsAny<CryptographicException>(() => SealedBox.Open(recipient, sealedBox, "credential"));
        Assert.Contains("failed authentication", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_fails_for_another_recipient()
    {
        using UserKeyPair recipient = UserKeyPair.Generate();
        using UserKeyPair stranger = UserKeyPair.Generate();
        byte[] sealedBox = SealedBox.Seal(recipient.PublicKey, Plaintext, Purpose);

        Assert.ThrowsAny<CryptographicException>(() => SealedBox.Open(stranger, sealedBox, Purpose));
    }

    [Fact]
    public void Open_fails_for_every_flipped_bit()
    {
        using UserKeyPair recipient = UserKeyPair.Generate();
        byte[] sealedBox = SealedBox.Seal(recipient.PublicKey, "x"u8, Purpose);

        for (int bit = 0; bit < sealedBox.Length * 8; bit++)
        {
            byte[] tampered = Bits.Flip(sealedBox, bit);
            Assert.ThrowsAny<CryptographicException>(() => SealedBox.Open(recipient, tampered, Purpose));
        }
    }

    [Fact]
    public void Open_rejects_an_unsupported_version()
    {
        using UserKeyPair recipient = UserKeyPair.Generate();
        byte[] sealedBox = SealedBox.Seal(recipient.PublicKey, Plaintext, Purpose);
        sealedBox[0] = 0x02;

        var exception = Assert.ThrowsAny<CryptographicException>(() => SealedBox.Open(recipient, sealedBox, Purpose));
        Assert.Equal("Sealed box version 2 is not supported (expected 1).", exception.Message);
    }

    [Fact]
    public void Open_rejects_a_box_too_short_to_hold_a_key_and_tag()
    {
        using UserKeyPair recipient = UserKeyPair.Generate();

        var exception = Assert.ThrowsAny<CryptographicException>(() => SealedBox.Open(recipient, new byte[81], Purpose));
        Assert.Equal("Sealed box is 81 bytes; the minimum is 82 (version, ephemeral key and tag).", exception.Message);
    }

    [Fact]
    public void Open_rejects_an_ephemeral_key_off_the_curve()
    {
        using UserKeyPair recipient = UserKeyPair.Generate();
        byte[] sealedBox = SealedBox.Seal(recipient.PublicKey, Plaintext, Purpose);
        sealedBox[65] ^= 0x01; // last byte of the ephemeral key's Y coordinate

        var exception = Assert.ThrowsAny<CryptographicException>(() => SealedBox.Open(recipient, sealedBox, Purpose));
        Assert.Equal("The sealed box's ephemeral key is not a valid P-256 public key.", exception.Message);
    }

    [Fact]
    public void Purpose_is_required()
    {
        using UserKeyPair recipient = UserKeyPair.Generate();

        Assert.ThrowsAny<ArgumentException>(() => SealedBox.Seal(recipient.PublicKey, Plaintext, ""));
        Assert.ThrowsAny<ArgumentException>(() => SealedBox.Seal(recipient.PublicKey, Plaintext, null!));
    }

    [Fact]
    public void Seal_rejects_an_invalid_recipient_public_key()
    {
        Assert.ThrowsAny<CryptographicException>(() => SealedBox.Seal(new byte[65], Plaintext, Purpose));
    }
}
