using System.Text;
using System.Text.Json.Nodes;
using Polydev.Crypto.Tests.Support;
using static Polydev.Crypto.Tests.Support.VectorJson;

namespace Polydev.Crypto.Tests;

/// <summary>
/// Reproduces every field of tests/vectors/polydev-crypto.json from its inputs, the way a second implementation
/// (the browser client) is expected to.
/// </summary>
public sealed class PolydevVectorTests
{
    private static readonly JsonObject Vectors = VectorFiles.Load(VectorFiles.Polydev);

    public static TheoryData<int> MasterKeyIndexes => Indexes("masterKeys");
    public static TheoryData<int> EnvelopeIndexes => Indexes("envelopes");
    public static TheoryData<int> FailingEnvelopeIndexes => Indexes("envelopesThatMustNotOpen");
    public static TheoryData<int> RecoveryCodeIndexes => Indexes("recoveryCodes");
    public static TheoryData<int> UnparsableRecoveryCodeIndexes => Indexes("recoveryCodesThatMustNotParse");
    public static TheoryData<int> SealedBoxIndexes => Indexes("sealedBoxes");

    [Theory]
    [MemberData(nameof(MasterKeyIndexes))]
    public void Master_key_auth_key_and_kek_are_reproduced(int index)
    {
        JsonNode vector = Item("masterKeys", index);
        JsonNode kdf = vector["kdf"]!;
        var parameters = new KdfParameters(kdf.Text("algorithm"), kdf.Int("iterations"), kdf.Bytes("salt"));

        byte[] masterKey = MasterKey.Derive(vector.Text("password"), parameters);

        Assert.Equal(vector.Text("passwordNfcUtf8"), Hex(PasswordEncoding.ToNfcUtf8(vector.Text("password"))));
        Assert.Equal(vector.Text("masterKey"), Hex(masterKey));
        Assert.Equal(vector.Text("authKey"), Hex(MasterKey.DeriveAuthKey(masterKey)));
        Assert.Equal(vector.Text("kek"), Hex(MasterKey.DeriveKek(masterKey)));
    }

    [Fact]
    public void The_decomposed_and_composed_passwords_are_different_strings_with_the_same_keys()
    {
        JsonNode decomposed = Item("masterKeys", 1);
        JsonNode composed = Item("masterKeys", 2);

        Assert.NotEqual(decomposed.Text("password"), composed.Text("password"));
        Assert.Equal(composed.Text("password"), decomposed.Text("password").Normalize(NormalizationForm.FormC));
        Assert.Equal(composed.Text("masterKey"), decomposed.Text("masterKey"));
        Assert.Equal(composed.Text("authKey"), decomposed.Text("authKey"));
        Assert.Equal(composed.Text("kek"), decomposed.Text("kek"));
    }

    [Theory]
    [MemberData(nameof(EnvelopeIndexes))]
    public void Envelopes_are_reproduced_and_open(int index)
    {
        JsonNode vector = Item("envelopes", index);
        var context = new EnvelopeContext(vector.Text("kind"), Guid.Parse(vector.Text("userId")), Guid.Parse(vector.Text("recordId")), Binding(vector));
        byte[] key = vector.Bytes("key");

        byte[] envelope = Envelope.Seal(key, vector.Bytes("plaintext"), context, vector.Bytes("nonce"));

        Assert.Equal(vector.Text("associatedData"), Hex(context.GetAssociatedData(Envelope.Version1, Envelope.AlgorithmAes256Gcm)));
        Assert.Equal(vector.Text("envelope"), Hex(envelope));
        Assert.Equal(vector.Text("plaintext"), Hex(Envelope.Open(key, vector.Bytes("envelope"), context)));
        Assert.True(Envelope.TryValidateShape(envelope, out _));
    }

    [Fact]
    public void Every_envelope_kind_has_a_vector_and_one_has_an_empty_plaintext()
    {
        JsonNode[] envelopes = [.. Vectors.Items("envelopes")];

        Assert.Equal(EnvelopeKinds.All.Order(), envelopes.Select(e => e.Text("kind")).Distinct().Order());
        Assert.Contains(envelopes, e => e.Text("plaintext").Length == 0);
    }

    [Fact]
    public void The_key_wrapping_vectors_form_one_key_hierarchy()
    {
        JsonNode userKeyUnderKek = Item("envelopes", 0);
        JsonNode userKeyUnderRecovery = Item("envelopes", 1);
        JsonNode privateKeyUnderUserKey = Item("envelopes", 2);
        string userKey = userKeyUnderKek.Text("plaintext");

        Assert.Equal(EnvelopeKinds.UserKey, userKeyUnderKek.Text("kind"));
        Assert.Equal(Item("masterKeys", 0).Text("kek"), userKeyUnderKek.Text("key"));
        Assert.Equal(EnvelopeKinds.UserRecoveryKey, userKeyUnderRecovery.Text("kind"));
        Assert.Equal(Item("recoveryCodes", 0).Text("wrappingKey"), userKeyUnderRecovery.Text("key"));
        Assert.Equal(userKey, userKeyUnderRecovery.Text("plaintext"));
        Assert.All(Vectors.Items("envelopes").Skip(2), envelope => Assert.Equal(userKey, envelope.Text("key")));

        // The wrapped private key is the sealed-box recipient, as PKCS#8.
        using UserKeyPair recipient = UserKeyPair.ImportPkcs8(privateKeyUnderUserKey.Bytes("plaintext"));
        Assert.Equal(Item("sealedBoxes", 0).Text("recipientPublicKey"), Hex(recipient.PublicKey));
    }

    [Theory]
    [MemberData(nameof(FailingEnvelopeIndexes))]
    public void Envelopes_that_must_not_open_do_not(int index)
    {
        JsonNode vector = Item("envelopesThatMustNotOpen", index);
        var context = new EnvelopeContext(vector.Text("kind"), Guid.Parse(vector.Text("userId")), Guid.Parse(vector.Text("recordId")), Binding(vector));
        byte[] envelope = vector.Bytes("envelope");

        Assert.Throws<EnvelopeException>(() => Envelope.Open(vector.Bytes("key"), envelope, context));
        Assert.Equal(vector.Text("failure") == "authentication", Envelope.TryValidateShape(envelope, out _));
    }

    [Theory]
    [MemberData(nameof(RecoveryCodeIndexes))]
    public void Recovery_codes_and_their_keys_are_reproduced(int index)
    {
        JsonNode vector = Item("recoveryCodes", index);

        RecoveryCode fromBytes = RecoveryCode.FromBytes(vector.Bytes("bytes"));
        RecoveryCode parsed = RecoveryCode.Parse(vector.Text("code"));

        Assert.Equal(vector.Text("code"), fromBytes.ToString());
        Assert.Equal(vector.Text("wrappingKey"), Hex(parsed.DeriveWrappingKey()));
        Assert.Equal(vector.Text("authKey"), Hex(parsed.DeriveAuthKey()));
        Assert.All(vector.Items("alsoParses"), text => Assert.Equal(vector.Text("code"), RecoveryCode.Parse(text.GetValue<string>()).ToString()));
    }

    [Theory]
    [MemberData(nameof(UnparsableRecoveryCodeIndexes))]
    public void Recovery_codes_that_must_not_parse_do_not(int index)
    {
        Assert.Throws<FormatException>(() => RecoveryCode.Parse(Item("recoveryCodesThatMustNotParse", index).Text("text")));
    }

    [Theory]
    [MemberData(nameof(SealedBoxIndexes))]
    public void Sealed_boxes_are_reproduced_and_open(int index)
    {
        JsonNode vector = Item("sealedBoxes", index);
        string purpose = vector.Text("purpose");

        (byte[] recipientPrivateKey, byte[] recipientPublicKey) = Hpke.DeriveKeyPair(vector.Bytes("recipientIkm"));
        byte[] sealedBox = SealedBox.Seal(recipientPublicKey, vector.Bytes("plaintext"), purpose, vector.Bytes("ephemeralIkm"));
        using UserKeyPair recipient = UserKeyPair.ImportPrivateKey(vector.Bytes("recipientPrivateKey"));

        Assert.Equal(vector.Text("recipientPrivateKey"), Hex(recipientPrivateKey));
        Assert.Equal(vector.Text("recipientPublicKey"), Hex(recipientPublicKey));
        Assert.Equal(Hex(Encoding.UTF8.GetBytes("polydev/sealed-box/v1|" + purpose)), vector.Text("info"));
        Assert.Equal("01", vector.Text("aad"));
        Assert.Equal(vector.Text("enc"), Hex(Hpke.DeriveKeyPair(vector.Bytes("ephemeralIkm")).PublicKey));
        Assert.Equal(vector.Text("sealedBox"), Hex(sealedBox));
        Assert.Equal(vector.Text("plaintext"), Hex(SealedBox.Open(recipient, vector.Bytes("sealedBox"), purpose)));
    }

    private static JsonNode Item(string section, int index) => Vectors.Items(section).ElementAt(index);

    private static TheoryData<int> Indexes(string section) =>
        new(Enumerable.Range(0, VectorFiles.Load(VectorFiles.Polydev).Items(section).Count()));

    /// <summary>A vector's binding (a chat message's chat, a credential's provider), or null when it has none.</summary>
    private static string? Binding(JsonNode vector) => vector["binding"]?.GetValue<string>();
}
