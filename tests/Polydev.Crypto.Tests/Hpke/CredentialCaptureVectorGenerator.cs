using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Polydev.Crypto.Tests.Support;
using static Polydev.Crypto.Tests.Support.VectorJson;

namespace Polydev.Crypto.Tests;

/// <summary>
/// Builds tests/vectors/credential-capture.json: credentials as a login sandbox captures them (<see cref="CredentialCapture"/>:
/// <c>tag (32) | sealed box</c>, purpose <c>login.credential</c>), for the web client to check and open
/// (web/test/credential-capture.test.ts), and captures that must not open, each with the check that refuses it.
/// </summary>
/// <remarks>
/// Deterministic like polydev-crypto.json: fixed inputs, and the sealed box made with <see cref="SealedBox"/>'s
/// fixed-ephemeral overload (CredentialCapture.Seal always takes a fresh ephemeral key). The tag is computed here from
/// its definition (HMAC-SHA256 under HKDF-SHA256(proofKey, info "polydev/login/credential-tag")), and
/// <see cref="CredentialCaptureTests"/> shows that CredentialCapture opens every good capture and refuses every bad one,
/// so the file is what the library makes and takes.
/// </remarks>
internal static class CredentialCaptureVectorGenerator
{
    public const string FileName = "credential-capture.json";

    public const string TagInfo = "polydev/login/credential-tag";

    private static byte[] RecipientIkm => PolydevVectorGenerator.FixedBytes("credential capture/recipient ikm", 32);

    public static byte[] ProofKey => PolydevVectorGenerator.FixedBytes("credential capture/proof key", 32);

    /// <summary>What the login agent seals: a <c>LoginCapturedCredential</c> as its JSON context writes it (camelCase, nulls left out).</summary>
    public static string[] Plaintexts =>
    [
        "{\"version\":1,\"provider\":\"anthropic\",\"file\":\"{\\\"claudeAiOauth\\\":{\\\"accessToken\\\":\\\"sk-ant-oat01-vector\\\",\\\"refreshToken\\\":\\\"sk-ant-ort01-vector\\\",\\\"expiresAt\\\":1796457600000,\\\"scopes\\\":[\\\"user:inference\\\"]}}\",\"account\":\"alice@example.com\",\"expiresAt\":\"2026-12-05T08:00:00+00:00\",\"refreshable\":true}",
        "{\"version\":1,\"provider\":\"google\",\"file\":\"{\\\"access_token\\\":\\\"ya29.vector\\\",\\\"token_type\\\":\\\"Bearer\\\"}\",\"refreshable\":false}",
    ];

    public static JsonObject Generate()
    {
        (byte[] recipientPrivateKey, byte[] recipientPublicKey) = Hpke.DeriveKeyPair(RecipientIkm);
        byte[] proofKey = ProofKey;
        string[] plaintexts = Plaintexts;
        var captures = new JsonArray();
        for (int i = 0; i < plaintexts.Length; i++)
        {
            byte[] ephemeralIkm = PolydevVectorGenerator.FixedBytes($"credential capture/ephemeral ikm/{i}", 32);
            byte[] box = SealedBox.Seal(recipientPublicKey, Encoding.UTF8.GetBytes(plaintexts[i]), CredentialCapture.Purpose, ephemeralIkm);
            byte[] tag = Tag(proofKey, box);
            captures.Add(new JsonObject
            {
                ["ephemeralIkm"] = Hex(ephemeralIkm),
                ["plaintext"] = plaintexts[i],
                ["sealedBox"] = Hex(box),
                ["tag"] = Hex(tag),
                ["capture"] = Hex([.. tag, .. box]),
            });
        }

        byte[] good = Convert.FromHexString(captures[0]!.AsObject().Text("capture"));
        byte[] goodBox = good[32..];
        byte[] plaintext = Encoding.UTF8.GetBytes(plaintexts[0]);
        byte[] otherPurpose = SealedBox.Seal(recipientPublicKey, plaintext, "credential.refresh", PolydevVectorGenerator.FixedBytes("credential capture/ephemeral ikm/other purpose", 32));
        (_, byte[] strangerPublicKey) = Hpke.DeriveKeyPair(PolydevVectorGenerator.FixedBytes("credential capture/stranger ikm", 32));
        byte[] otherRecipient = SealedBox.Seal(strangerPublicKey, plaintext, CredentialCapture.Purpose, PolydevVectorGenerator.FixedBytes("credential capture/ephemeral ikm/stranger", 32));
        byte[] otherProofKey = PolydevVectorGenerator.FixedBytes("credential capture/other proof key", 32);
        var mustNotOpen = new JsonArray
        {
            Bad("the tag's last bit flipped", proofKey, [.. good[..31], (byte)(good[31] ^ 0x01), .. goodBox], "tag"),
            Bad("checked under another proof key (a capture tagged for another client)", otherProofKey, good, "tag"),
            Bad("tagged under another proof key (a capture the server made itself, sealed to the user)", proofKey, [.. Tag(otherProofKey, goodBox), .. goodBox], "tag"),
            Bad("a byte of the sealed box changed after tagging", proofKey, [.. good[..40], (byte)(good[40] ^ 0x80), .. good[41..]], "tag"),
            Bad("the box sealed for another purpose (credential.refresh), tagged correctly", proofKey, [.. Tag(proofKey, otherPurpose), .. otherPurpose], "box"),
            Bad("the box sealed to another key, tagged correctly", proofKey, [.. Tag(proofKey, otherRecipient), .. otherRecipient], "box"),
            Bad("shorter than a tag and an empty sealed box", proofKey, good[..(32 + SealedBox.Overhead - 1)], "shape"),
        };

        return new JsonObject
        {
            ["description"] = "Polydev credential captures (src/Polydev.Crypto/Hpke/CredentialCapture.cs), generated by Polydev.Crypto (.NET): "
                + "capture = tag (32) | sealedBox; sealedBox is a sealed box to the recipient with purpose \"login.credential\"; "
                + "tag = HMAC-SHA256(key = HKDF-SHA256(ikm = proofKey, salt = empty, info = \"polydev/login/credential-tag\", L = 32), data = sealedBox). "
                + "The tag is checked before the box is opened. failure names the check that refuses a bad capture: tag, box (the sealed box does not open) or shape (too short).",
            ["encoding"] = "Byte strings are lower-case hex; plaintext is the UTF-8 JSON text.",
            ["purpose"] = CredentialCapture.Purpose,
            ["tagInfo"] = TagInfo,
            ["recipientIkm"] = Hex(RecipientIkm),
            ["recipientPrivateKey"] = Hex(recipientPrivateKey),
            ["recipientPublicKey"] = Hex(recipientPublicKey),
            ["proofKey"] = Hex(proofKey),
            ["tagKey"] = Hex(HkdfSha256.DeriveKey(proofKey, TagInfo)),
            ["captures"] = captures,
            ["capturesThatMustNotOpen"] = mustNotOpen,
        };
    }

    public static void WriteTo(string path) =>
        File.WriteAllText(path, Generate().ToJsonString(WriteOptions).ReplaceLineEndings("\n") + "\n");

    // Every text here is ASCII; quotes stay \" rather than \u0022 so the JSON plaintexts read as they are.
    private static readonly JsonSerializerOptions WriteOptions = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The tag from its definition, independently of CredentialCapture's own (private) computation.</summary>
    public static byte[] Tag(byte[] proofKey, byte[] sealedBox)
    {
        byte[] key = new byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, proofKey, key, salt: [], info: Encoding.UTF8.GetBytes(TagInfo));
        return HMACSHA256.HashData(key, sealedBox);
    }

    private static JsonObject Bad(string description, byte[] proofKey, byte[] capture, string failure) => new()
    {
        ["description"] = description,
        ["proofKey"] = Hex(proofKey),
        ["capture"] = Hex(capture),
        ["failure"] = failure,
    };
}
