using System.Text;
using System.Text.Json.Nodes;
using Polydev.Crypto.Tests.Support;

namespace Polydev.Crypto.Tests;

/// <summary>
/// <see cref="CredentialCapture"/> and tests/vectors/credential-capture.json, which the web client checks and opens
/// the same way (web/test/credential-capture.test.ts).
/// </summary>
public sealed class CredentialCaptureTests
{
    private static readonly JsonObject Vectors = VectorFiles.Load(CredentialCaptureVectorGenerator.FileName);

    public static TheoryData<int> CaptureIndexes => Indexes("captures");
    public static TheoryData<int> BadCaptureIndexes => Indexes("capturesThatMustNotOpen");

    /// <summary>Set POLYDEV_WRITE_VECTORS=1 to rewrite the file instead, after an intentional format change.</summary>
    [Fact]
    public void Checked_in_vectors_are_what_the_generator_produces()
    {
        JsonObject generated = CredentialCaptureVectorGenerator.Generate();
        if (Environment.GetEnvironmentVariable("POLYDEV_WRITE_VECTORS") == "1")
        {
            CredentialCaptureVectorGenerator.WriteTo(VectorFiles.SourcePath(CredentialCaptureVectorGenerator.FileName));
            return;
        }

        Assert.True(
            JsonNode.DeepEquals(Vectors, generated),
            "tests/vectors/credential-capture.json differs from what the implementation generates; regenerate with POLYDEV_WRITE_VECTORS=1 only after an intentional format change.");
    }

    [Theory]
    [MemberData(nameof(CaptureIndexes))]
    public void A_vector_capture_opens_with_the_proof_key_and_the_recipients_key(int index)
    {
        JsonNode capture = Item("captures", index);
        using UserKeyPair recipient = UserKeyPair.ImportPrivateKey(Vectors.Bytes("recipientPrivateKey"));

        byte[] plaintext = CredentialCapture.Open(recipient, Vectors.Bytes("proofKey"), capture.Bytes("capture"));

        Assert.Equal(capture.Text("plaintext"), Encoding.UTF8.GetString(plaintext));
        Assert.Equal(Vectors.Text("recipientPublicKey"), VectorJson.Hex(recipient.PublicKey));
        Assert.Equal(Vectors.Text("tagKey"), VectorJson.Hex(HkdfSha256.DeriveKey(Vectors.Bytes("proofKey"), CredentialCapture.TagInfo)));
        Assert.Equal(CredentialCapture.Purpose, Vectors.Text("purpose"));
        Assert.Equal(CredentialCapture.TagInfo, Vectors.Text("tagInfo"));
    }

    [Theory]
    [MemberData(nameof(BadCaptureIndexes))]
    public void A_vector_capture_that_must_not_open_is_refused_by_the_stated_check(int index)
    {
        JsonNode bad = Item("capturesThatMustNotOpen", index);
        using UserKeyPair recipient = UserKeyPair.ImportPrivateKey(Vectors.Bytes("recipientPrivateKey"));

        var error = Assert.ThrowsAny<CryptographicException>(() => CredentialCapture.Open(recipient, bad.Bytes("proofKey"), bad.Bytes("capture")));

        string expected = bad.Text("failure") switch
        {
            "tag" => "tag is wrong",
            "box" => "failed authentication",
            "shape" => "too short",
            var other => throw new InvalidOperationException($"Unknown failure '{other}'."),
        };
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_capture_is_the_tag_then_a_sealed_box_for_login_credential()
    {
        using UserKeyPair recipient = UserKeyPair.Generate();
        byte[] proofKey = RandomNumberGenerator.GetBytes(CredentialCapture.ProofKeyLength);
        byte[] plaintext = "{\"version\":1}"u8.ToArray();

        byte[] capture = CredentialCapture.Seal(recipient.PublicKey, proofKey, plaintext);

        byte[] box = capture[32..];
        Assert.Equal(32 + plaintext.Length + SealedBox.Overhead, capture.Length);
        Assert.Equal(CredentialCaptureVectorGenerator.Tag(proofKey, box), capture[..32]);
        Assert.Equal(plaintext, SealedBox.Open(recipient, box, "login.credential"));
        Assert.Equal(plaintext, CredentialCapture.Open(recipient, proofKey, capture));
    }

    [Fact]
    public void A_proof_key_of_another_length_is_refused()
    {
        using UserKeyPair recipient = UserKeyPair.Generate();
        byte[] capture = CredentialCapture.Seal(recipient.PublicKey, new byte[32], "x"u8);

        var error = Assert.ThrowsAny<CryptographicException>(() => CredentialCapture.Open(recipient, new byte[31], capture));
        Assert.Contains("32 bytes", error.Message, StringComparison.Ordinal);
    }

    private static JsonNode Item(string section, int index) => Vectors.Items(section).ElementAt(index);

    private static TheoryData<int> Indexes(string section) =>
        new(Enumerable.Range(0, VectorFiles.Load(CredentialCaptureVectorGenerator.FileName).Items(section).Count()));
}
