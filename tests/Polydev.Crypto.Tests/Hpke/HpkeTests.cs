using static Polydev.Crypto.Tests.Support.VectorJson;

namespace Polydev.Crypto.Tests;

public sealed class HpkeTests
{
    private static readonly byte[] Info = "test info"u8.ToArray();
    private static readonly byte[] Aad = "test aad"u8.ToArray();
    private static readonly byte[] Plaintext = "a message for the recipient"u8.ToArray();

    [Theory]
    [InlineData(HpkeAead.Aes128Gcm)]
    [InlineData(HpkeAead.Aes256Gcm)]
    public void SealBase_then_OpenBase_round_trips(HpkeAead aead)
    {
        using UserKeyPair recipient = UserKeyPair.Generate();

        (byte[] enc, byte[] ciphertext) = Hpke.SealBase(recipient.PublicKey, Info, Aad, Plaintext, aead);

        Assert.Equal(65, enc.Length);
        Assert.Equal(Plaintext.Length + 16, ciphertext.Length);
        Assert.Equal(Plaintext, Hpke.OpenBase(enc, recipient, Info, Aad, ciphertext, aead));
    }

    [Fact]
    public void SealBase_uses_a_fresh_ephemeral_key_each_time()
    {
        using UserKeyPair recipient = UserKeyPair.Generate();

        (byte[] first, _) = Hpke.SealBase(recipient.PublicKey, Info, Aad, Plaintext);
        (byte[] second, _) = Hpke.SealBase(recipient.PublicKey, Info, Aad, Plaintext);

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void OpenBase_fails_with_other_info_aad_recipient_or_aead()
    {
        using UserKeyPair recipient = UserKeyPair.Generate();
        using UserKeyPair stranger = UserKeyPair.Generate();
        (byte[] enc, byte[] ciphertext) = Hpke.SealBase(recipient.PublicKey, Info, Aad, Plaintext);

        Assert.Throws<AuthenticationTagMismatchException>(() => Hpke.OpenBase(enc, recipient, "other"u8, Aad, ciphertext));
        Assert.Throws<AuthenticationTagMismatchException>(() => Hpke.OpenBase(enc, recipient, Info, "other"u8, ciphertext));
        Assert.Throws<AuthenticationTagMismatchException>(() => Hpke.OpenBase(enc, stranger, Info, Aad, ciphertext));
        Assert.Throws<AuthenticationTagMismatchException>(() => Hpke.OpenBase(enc, recipient, Info, Aad, ciphertext, HpkeAead.Aes128Gcm));
    }

    [Fact]
    public void OpenBase_rejects_an_invalid_encapsulated_key()
    {
        using UserKeyPair recipient = UserKeyPair.Generate();
        (byte[] enc, byte[] ciphertext) = Hpke.SealBase(recipient.PublicKey, Info, Aad, Plaintext);
        enc[^1] ^= 0x01; // moves the point off the curve

        var exception = Assert.ThrowsAny<CryptographicException>(() => Hpke.OpenBase(enc, recipient, Info, Aad, ciphertext));
        Assert.Equal("The HPKE encapsulated key is not a valid P-256 public key.", exception.Message);
    }

    [Fact]
    public void OpenBase_rejects_a_ciphertext_shorter_than_the_tag()
    {
        using UserKeyPair recipient = UserKeyPair.Generate();
        (byte[] enc, _) = Hpke.SealBase(recipient.PublicKey, Info, Aad, Plaintext);

        Assert.ThrowsAny<CryptographicException>(() => Hpke.OpenBase(enc, recipient, Info, Aad, new byte[15]));
    }

    [Fact]
    public void SealBase_rejects_an_invalid_recipient_public_key()
    {
        using UserKeyPair recipient = UserKeyPair.Generate();
        byte[] offCurve = recipient.PublicKey;
        offCurve[^1] ^= 0x01;

        Assert.ThrowsAny<CryptographicException>(() => Hpke.SealBase(offCurve, Info, Aad, Plaintext));
        Assert.ThrowsAny<CryptographicException>(() => Hpke.SealBase(new byte[64], Info, Aad, Plaintext));
    }

    [Fact]
    public void Unknown_AEAD_identifiers_are_rejected()
    {
        using UserKeyPair recipient = UserKeyPair.Generate();

        Assert.Throws<ArgumentOutOfRangeException>(() => Hpke.SealBase(recipient.PublicKey, Info, Aad, Plaintext, (HpkeAead)0x0003));
    }

    [Fact]
    public void DeriveKeyPair_is_deterministic_and_consistent()
    {
        byte[] ikm = SHA256.HashData("ikm"u8);

        (byte[] privateKey, byte[] publicKey) = Hpke.DeriveKeyPair(ikm);
        (byte[] privateKeyAgain, byte[] publicKeyAgain) = Hpke.DeriveKeyPair(ikm);
        using UserKeyPair imported = UserKeyPair.ImportPrivateKey(privateKey);

        Assert.Equal(Hex(privateKey), Hex(privateKeyAgain));
        Assert.Equal(Hex(publicKey), Hex(publicKeyAgain));
        Assert.Equal(Hex(publicKey), Hex(imported.PublicKey));
    }

    [Fact]
    public void DeriveKeyPair_requires_at_least_32_bytes_of_ikm()
    {
        Assert.Throws<ArgumentException>(() => Hpke.DeriveKeyPair(new byte[31]));
    }
}
