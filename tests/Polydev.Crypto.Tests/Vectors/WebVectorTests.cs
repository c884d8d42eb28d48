using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Polydev.Crypto.Tests.Support;
using static Polydev.Crypto.Tests.Support.VectorJson;

namespace Polydev.Crypto.Tests;

/// <summary>
/// Opens what the web client's TypeScript made (tests/vectors/web-crypto.json, written by <c>npm run vectors</c> in
/// web/): the other direction of <see cref="PolydevVectorTests"/>. Every check walks the chain a browser-made account
/// depends on — password to kek to userKey to the private key — so a derivation the two sides disagree on fails here.
/// </summary>
public sealed class WebVectorTests
{
    private static readonly JsonObject Vectors = VectorFiles.Load(VectorFiles.Web);

    public static TheoryData<int> AccountIndexes => Indexes("accounts");
    public static TheoryData<int> SealedBoxIndexes => Indexes("sealedBoxes");
    public static TheoryData<int> CredentialCaptureIndexes => Indexes("credentialCaptures");

    [Theory]
    [MemberData(nameof(AccountIndexes))]
    public void A_browser_made_account_unlocks_with_its_password(int index)
    {
        JsonNode account = Item("accounts", index);
        Guid userId = Guid.Parse(account.Text("userId"));
        JsonNode kdf = account["kdf"]!;
        var parameters = new KdfParameters(kdf.Text("algorithm"), kdf.Int("iterations"), kdf.Bytes("salt"));

        byte[] masterKey = MasterKey.Derive(account.Text("password"), parameters);
        byte[] userKey = Envelope.Open(
            MasterKey.DeriveKek(masterKey), account.Bytes("userKeyEnvelope"), new EnvelopeContext(EnvelopeKinds.UserKey, userId, userId));

        Assert.Equal(account.Text("authKey"), Hex(MasterKey.DeriveAuthKey(masterKey)));
        Assert.Equal(32, userKey.Length);
    }

    [Theory]
    [MemberData(nameof(AccountIndexes))]
    public void A_browser_made_recovery_code_opens_the_same_user_key(int index)
    {
        JsonNode account = Item("accounts", index);
        Guid userId = Guid.Parse(account.Text("userId"));
        RecoveryCode code = RecoveryCode.Parse(account.Text("recoveryCode"));

        byte[] recovered = Envelope.Open(
            code.DeriveWrappingKey(), account.Bytes("recoveryKeyEnvelope"), new EnvelopeContext(EnvelopeKinds.UserRecoveryKey, userId, userId));

        Assert.Equal(account.Text("recoveryAuthKey"), Hex(code.DeriveAuthKey()));
        Assert.Equal(UnlockUserKey(account), recovered);
    }

    [Theory]
    [MemberData(nameof(AccountIndexes))]
    public void A_browser_made_private_key_imports_and_matches_the_public_key(int index)
    {
        JsonNode account = Item("accounts", index);

        using UserKeyPair keyPair = OpenPrivateKey(account);

        Assert.Equal(account.Text("publicKey"), Hex(keyPair.PublicKey));
        Assert.True(UserKeyPair.IsValidPublicKey(account.Bytes("publicKey")));
    }

    [Theory]
    [MemberData(nameof(AccountIndexes))]
    public void Browser_made_records_open_only_where_they_are_stored(int index)
    {
        JsonNode account = Item("accounts", index);
        Guid userId = Guid.Parse(account.Text("userId"));
        byte[] userKey = UnlockUserKey(account);
        List<JsonNode> records = account.Items("records").ToList();

        foreach (JsonNode record in records)
        {
            var context = new EnvelopeContext(record.Text("kind"), userId, Guid.Parse(record.Text("recordId")));
            Assert.Equal(record.Text("plaintext"), Hex(Envelope.Open(userKey, record.Bytes("envelope"), context)));

            var elsewhere = context with { RecordId = Guid.Parse(records.First(other => other != record).Text("recordId")) };
            Assert.Throws<EnvelopeException>(() => Envelope.Open(userKey, record.Bytes("envelope"), elsewhere));
        }

        // The browser's JSON.stringify writes non-ASCII as is; the C# reader must take it (docs/vault.md).
        JsonNode message = JsonNode.Parse(Encoding.UTF8.GetString(records[1].Bytes("plaintext")))!;
        Assert.Contains('é', message["text"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(AccountIndexes))]
    public void A_box_the_browser_sealed_to_its_own_key_opens_with_the_unlocked_private_key(int index)
    {
        JsonNode account = Item("accounts", index);
        JsonNode box = account["sealedToSelf"]!;

        using UserKeyPair keyPair = OpenPrivateKey(account);

        Assert.Equal(box.Text("plaintext"), Hex(SealedBox.Open(keyPair, box.Bytes("sealedBox"), box.Text("purpose"))));
        Assert.Throws<CryptographicException>(() => SealedBox.Open(keyPair, box.Bytes("sealedBox"), "job"));
    }

    [Theory]
    [MemberData(nameof(SealedBoxIndexes))]
    public void Browser_sealed_boxes_open_with_the_recipients_key(int index)
    {
        JsonNode box = Item("sealedBoxes", index);
        using UserKeyPair recipient = UserKeyPair.ImportPrivateKey(box.Bytes("recipientPrivateKey"));

        Assert.Equal(box.Text("recipientPublicKey"), Hex(recipient.PublicKey));
        Assert.Equal(box.Text("plaintext"), Hex(SealedBox.Open(recipient, box.Bytes("sealedBox"), box.Text("purpose"))));
    }

    [Theory]
    [MemberData(nameof(CredentialCaptureIndexes))]
    public void Browser_made_credential_captures_open_with_the_proof_key_and_no_other(int index)
    {
        JsonNode capture = Item("credentialCaptures", index);
        using UserKeyPair recipient = UserKeyPair.ImportPrivateKey(capture.Bytes("recipientPrivateKey"));
        byte[] proofKey = capture.Bytes("proofKey");

        Assert.Equal(capture.Text("plaintext"), Hex(CredentialCapture.Open(recipient, proofKey, capture.Bytes("capture"))));

        proofKey[0] ^= 0x01;
        var error = Assert.ThrowsAny<CryptographicException>(() => CredentialCapture.Open(recipient, proofKey, capture.Bytes("capture")));
        Assert.Contains("tag is wrong", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_browser_sealed_output_stream_reads_in_order_to_its_final_chunk()
    {
        JsonNode vector = Vectors["outputStream"]!;
        using var reader = new OutputStreamReader(new MemoryStream(vector.Bytes("stream")), vector.Bytes("key"));

        IReadOnlyList<OutputChunk> chunks = await reader.ReadAllAsync();

        Assert.Equal(vector.Items("plaintexts").Select(p => p.GetValue<string>()), chunks.Select(c => Hex(c.Plaintext)));
        Assert.True(chunks[^1].IsFinal);
        Assert.All(chunks.SkipLast(1), chunk => Assert.False(chunk.IsFinal));
    }

    private static byte[] UnlockUserKey(JsonNode account)
    {
        Guid userId = Guid.Parse(account.Text("userId"));
        JsonNode kdf = account["kdf"]!;
        byte[] masterKey = MasterKey.Derive(account.Text("password"), new KdfParameters(kdf.Text("algorithm"), kdf.Int("iterations"), kdf.Bytes("salt")));
        return Envelope.Open(MasterKey.DeriveKek(masterKey), account.Bytes("userKeyEnvelope"), new EnvelopeContext(EnvelopeKinds.UserKey, userId, userId));
    }

    private static UserKeyPair OpenPrivateKey(JsonNode account)
    {
        Guid userId = Guid.Parse(account.Text("userId"));
        byte[] pkcs8 = Envelope.Open(UnlockUserKey(account), account.Bytes("privateKeyEnvelope"), new EnvelopeContext(EnvelopeKinds.UserPrivateKey, userId, userId));
        return UserKeyPair.ImportPkcs8(pkcs8);
    }

    private static JsonNode Item(string section, int index) => Vectors.Items(section).ElementAt(index);

    private static TheoryData<int> Indexes(string section) =>
        new(Enumerable.Range(0, VectorFiles.Load(VectorFiles.Web).Items(section).Count()));
}
