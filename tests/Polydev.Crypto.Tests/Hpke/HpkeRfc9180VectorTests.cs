using System.Text.Json.Nodes;
using Polydev.Crypto.Tests.Support;
using static Polydev.Crypto.Tests.Support.VectorJson;

namespace Polydev.Crypto.Tests;

/// <summary>Checks the HPKE implementation against tests/vectors/hpke-rfc9180.json (RFC 9180 A.3.1 and the CFRG AES-256-GCM entry).</summary>
public sealed class HpkeRfc9180VectorTests
{
    public static TheoryData<string> VectorNames =>
        new(VectorFiles.Load(VectorFiles.Hpke).Items("vectors").Select(vector => vector.Text("name")));

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void Vector_is_for_our_KEM_and_KDF_in_base_mode(string name)
    {
        JsonNode vector = Find(name);

        Assert.Equal(0, vector.Int("mode"));
        Assert.Equal(0x0010, vector.Int("kem_id"));
        Assert.Equal(0x0001, vector.Int("kdf_id"));
        Assert.True(Enum.IsDefined(Aead(vector)));
        Assert.False(string.IsNullOrWhiteSpace(vector.Text("source")));
    }

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void DeriveKeyPair_reproduces_the_ephemeral_key(string name)
    {
        JsonNode vector = Find(name);

        (byte[] privateKey, byte[] publicKey) = Hpke.DeriveKeyPair(vector.Bytes("ikmE"));

        if (vector.Has("skEm"))
        {
            Assert.Equal(vector.Text("skEm"), Hex(privateKey));
        }

        // For DHKEM the encapsulated key is the serialized ephemeral public key.
        Assert.Equal(vector.Text("enc"), Hex(publicKey));
        if (vector.Has("pkEm"))
        {
            Assert.Equal(vector.Text("pkEm"), Hex(publicKey));
        }
    }

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void DeriveKeyPair_reproduces_the_recipient_key(string name)
    {
        JsonNode vector = Find(name);

        (byte[] privateKey, byte[] publicKey) = Hpke.DeriveKeyPair(vector.Bytes("ikmR"));

        Assert.Equal(vector.Text("skRm"), Hex(privateKey));
        Assert.Equal(vector.Text("pkRm"), Hex(publicKey));
    }

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void Encap_and_key_schedule_reproduce_the_intermediate_values(string name)
    {
        JsonNode vector = Find(name);
        (byte[] ephemeralPrivateKey, _) = Hpke.DeriveKeyPair(vector.Bytes("ikmE"));
        using ECDiffieHellman ephemeral = P256.ImportPrivateKey(ephemeralPrivateKey);

        (byte[] sharedSecret, byte[] enc) = DhKemP256.Encap(vector.Bytes("pkRm"), ephemeral);
        (byte[] key, byte[] baseNonce) = HpkeKeySchedule.DeriveBase(sharedSecret, vector.Bytes("info"), Aead(vector));

        Assert.Equal(vector.Text("enc"), Hex(enc));
        Assert.Equal(vector.Text("shared_secret"), Hex(sharedSecret));
        Assert.Equal(vector.Text("key"), Hex(key));
        Assert.Equal(vector.Text("base_nonce"), Hex(baseNonce));
    }

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void Deterministic_SealBase_reproduces_enc_and_ciphertext(string name)
    {
        JsonNode vector = Find(name);
        JsonNode encryption = vector.Items("encryptions").First();

        (byte[] enc, byte[] ciphertext) = Hpke.SealBase(
            vector.Bytes("pkRm"),
            vector.Bytes("info"),
            encryption.Bytes("aad"),
            encryption.Bytes("pt"),
            Aead(vector),
            ephemeralIkm: vector.Bytes("ikmE"));

        Assert.Equal(vector.Text("enc"), Hex(enc));
        Assert.Equal(encryption.Text("ct"), Hex(ciphertext));
    }

    [Theory]
    [MemberData(nameof(VectorNames))]
    public void OpenBase_with_skRm_recovers_the_plaintext(string name)
    {
        JsonNode vector = Find(name);
        JsonNode encryption = vector.Items("encryptions").First();
        using UserKeyPair recipient = UserKeyPair.ImportPrivateKey(vector.Bytes("skRm"));

        byte[] plaintext = Hpke.OpenBase(
            vector.Bytes("enc"),
            recipient,
            vector.Bytes("info"),
            encryption.Bytes("aad"),
            encryption.Bytes("ct"),
            Aead(vector));

        Assert.Equal(vector.Text("pkRm"), Hex(recipient.PublicKey));
        Assert.Equal(encryption.Text("pt"), Hex(plaintext));
    }

    private static JsonNode Find(string name) =>
        VectorFiles.Load(VectorFiles.Hpke).Items("vectors").Single(vector => vector.Text("name") == name);

    private static HpkeAead Aead(JsonNode vector) => (HpkeAead)(ushort)vector.Int("aead_id");
}
