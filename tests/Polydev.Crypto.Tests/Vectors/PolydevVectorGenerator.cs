using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using static Polydev.Crypto.Tests.Support.VectorJson;

namespace Polydev.Crypto.Tests;

/// <summary>
/// Builds tests/vectors/polydev-crypto.json from fixed inputs with this implementation. The file is the contract for
/// other implementations (the browser client must reproduce it byte for byte), so it changes only with the format.
/// </summary>
/// <remarks>
/// Inputs are fixed, random-looking bytes: <c>SHA-256("polydev vector: " + label)</c> truncated to length, so they
/// can be re-made without storing them in code. Every derived value comes from the library's public API
/// (or its internal fixed-nonce / fixed-ephemeral overloads).
/// </remarks>
internal static class PolydevVectorGenerator
{
    private static readonly Guid UserId = Guid.Parse("5f0c6a2e-8d4b-4c1e-9a3f-2b7d1e6c9a01");
    private static readonly Guid ChatId = Guid.Parse("b3a1c9d2-6e4f-4a8b-9c0d-1e2f3a4b5c6d");
    private static readonly Guid OtherChatId = Guid.Parse("c4b2d0e3-7f50-4b9c-8d1e-2f3a4b5c6d7e");
    private static readonly Guid MessageId = Guid.Parse("0a9b8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d");
    private static readonly Guid CredentialId = Guid.Parse("e1d2c3b4-a596-4877-b869-5a4b3c2d1e0f");

    public static JsonSerializerOptions WriteOptions { get; } = new()
    {
        WriteIndented = true,
        // ASCII-only output: non-ASCII text (the NFC test passwords) is written as \uXXXX escapes, so a reader sees
        // exactly which code points the decomposed and composed forms contain.
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.BasicLatin),
    };

    public static JsonObject Generate()
    {
        JsonObject[] masterKeys =
        [
            MasterKeyVector("ASCII password", "correct horse battery staple", FixedBytes("salt/ascii", 16)),
            MasterKeyVector(
                "Non-ASCII password typed decomposed: e with COMBINING ACUTE ACCENT (0301), Hangul as conjoining jamo, ANGSTROM SIGN (212B). Its NFC form is the password of masterKeys[2], so every derived key equals those of masterKeys[2].",
                "Cafe\u0301 \u1112\u1161\u11AB\u1100\u1173\u11AF \u212B",
                FixedBytes("salt/unicode", 16)),
            MasterKeyVector(
                "The same password typed composed, already in NFC.",
                "Caf\u00E9 \uD55C\uAE00 \u00C5",
                FixedBytes("salt/unicode", 16)),
        ];

        byte[] kek = Convert.FromHexString(masterKeys[0].Text("kek"));
        byte[] userKey = FixedBytes("user key", UserKey.Length);
        RecoveryCode recoveryCode = RecoveryCode.FromBytes(FixedBytes("recovery code", RecoveryCode.ByteLength));
        (byte[] recipientPrivateKey, byte[] recipientPublicKey) = Hpke.DeriveKeyPair(FixedBytes("recipient ikm", 32));

        JsonObject[] envelopes =
        [
            EnvelopeVector("user.key: the user key wrapped by masterKeys[0].kek", kek, EnvelopeKinds.UserKey, UserId, userKey),
            EnvelopeVector("user.recovery-key: the user key wrapped by recoveryCodes[0].wrappingKey", recoveryCode.DeriveWrappingKey(), EnvelopeKinds.UserRecoveryKey, UserId, userKey),
            EnvelopeVector("user.private-key: PKCS#8 of sealedBoxes[*].recipientPrivateKey (Web Crypto layout) wrapped by the user key", userKey, EnvelopeKinds.UserPrivateKey, UserId, WebCryptoPkcs8(recipientPrivateKey, recipientPublicKey)),
            EnvelopeVector("chat.title under the user key", userKey, EnvelopeKinds.ChatTitle, ChatId, "Refactor the parser"u8),
            EnvelopeVector("chat.message under the user key, non-ASCII UTF-8 text", userKey, EnvelopeKinds.ChatMessage, MessageId, Encoding.UTF8.GetBytes("Gr\u00FC\u00DFe \u2014 \uD55C\uAE00 \u2713")),
            EnvelopeVector("credential.secret under the user key", userKey, EnvelopeKinds.CredentialSecret, CredentialId, "{\"provider\":\"claude\",\"apiKey\":\"sk-test-not-a-real-key\"}"u8),
            EnvelopeVector("chat.message with an empty plaintext: header, nonce and tag only", userKey, EnvelopeKinds.ChatMessage, MessageId, []),
            EnvelopeVector("chat.message bound to its chat (binding): what clients seal since issue 13", userKey, EnvelopeKinds.ChatMessage, MessageId, "{\"role\":\"user\",\"text\":\"bound\"}"u8, ChatId.ToString("D")),
            EnvelopeVector("credential.secret bound to its provider (binding): what clients seal since issue 13", userKey, EnvelopeKinds.CredentialSecret, CredentialId, "{\"label\":\"work\",\"type\":\"api_key\",\"secret\":\"sk-test-not-a-real-key\"}"u8, "anthropic"),
        ];

        byte[] chatTitle = Convert.FromHexString(envelopes[3].Text("envelope"));
        byte[] boundMessage = Convert.FromHexString(envelopes[7].Text("envelope"));
        JsonObject[] envelopesThatMustNotOpen =
        [
            FailingEnvelope("envelopes[3] opened as another kind", userKey, EnvelopeKinds.ChatMessage, ChatId, chatTitle, "authentication"),
            FailingEnvelope("envelopes[3] opened as another record", userKey, EnvelopeKinds.ChatTitle, OtherChatId, chatTitle, "authentication"),
            FailingEnvelope("envelopes[3] with the last tag bit flipped", userKey, EnvelopeKinds.ChatTitle, ChatId, [.. chatTitle[..^1], (byte)(chatTitle[^1] ^ 0x80)], "authentication"),
            FailingEnvelope("envelopes[3] with version byte 2", userKey, EnvelopeKinds.ChatTitle, ChatId, [0x02, .. chatTitle[1..]], "shape"),
            FailingEnvelope("envelopes[3] cut to 29 bytes", userKey, EnvelopeKinds.ChatTitle, ChatId, chatTitle[..29], "shape"),
            FailingEnvelope("envelopes[7] opened in another chat (a message moved)", userKey, EnvelopeKinds.ChatMessage, MessageId, boundMessage, "authentication", OtherChatId.ToString("D")),
            FailingEnvelope("envelopes[7] opened without its chat (passed off as an older, unbound message)", userKey, EnvelopeKinds.ChatMessage, MessageId, boundMessage, "authentication"),
            FailingEnvelope("envelopes[4] (unbound) opened as bound to a chat", userKey, EnvelopeKinds.ChatMessage, MessageId, Convert.FromHexString(envelopes[4].Text("envelope")), "authentication", ChatId.ToString("D")),
            FailingEnvelope("envelopes[8] opened as another provider's (a key relabelled)", userKey, EnvelopeKinds.CredentialSecret, CredentialId, Convert.FromHexString(envelopes[8].Text("envelope")), "authentication", "openai"),
            FailingEnvelope("envelopes[8] opened without its provider", userKey, EnvelopeKinds.CredentialSecret, CredentialId, Convert.FromHexString(envelopes[8].Text("envelope")), "authentication"),
        ];

        JsonObject[] recoveryCodes =
        [
            RecoveryCodeVector(recoveryCode),
            RecoveryCodeVector(RecoveryCode.FromBytes([.. Enumerable.Range(0, RecoveryCode.ByteLength).Select(i => (byte)i)])),
        ];

        JsonObject[] recoveryCodesThatMustNotParse =
        [
            new() { ["text"] = "AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQ", ["reason"] = "31 characters" },
            new() { ["text"] = "AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQTA", ["reason"] = "33 characters" },
            new() { ["text"] = "AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQ0", ["reason"] = "0 is not in the base32 alphabet" },
            new() { ["text"] = "AAAQ-EAYE-AUDA-OCAJ-BIFQ-YDIO-B4IB-CEQ1", ["reason"] = "1 is not in the base32 alphabet" },
            new() { ["text"] = "AAAQ_EAYE_AUDA_OCAJ_BIFQ_YDIO_B4IB_CEQT", ["reason"] = "only spaces and - are separators" },
        ];

        JsonObject[] sealedBoxes =
        [
            SealedBoxVector("job", recipientPrivateKey, recipientPublicKey, FixedBytes("ephemeral ikm/job", 32), "{\"prompt\":\"Explain this stack trace\"}"u8),
            SealedBoxVector("credential", recipientPrivateKey, recipientPublicKey, FixedBytes("ephemeral ikm/credential", 32), []),
        ];

        return new JsonObject
        {
            ["description"] = "Polydev cryptography test vectors, generated by Polydev.Crypto (.NET). Another implementation must reproduce every field byte for byte. The formats and every field are described in docs/crypto.md.",
            ["encoding"] = "Byte strings are lower-case hex. Ids are lower-case hyphenated UUIDs. Text is JSON text (non-ASCII written as \\u escapes). The HTTP API carries bytes as standard base64 with padding; these vectors use hex only for readability.",
            ["masterKeys"] = new JsonArray(masterKeys),
            ["envelopes"] = new JsonArray(envelopes),
            ["envelopesThatMustNotOpen"] = new JsonArray(envelopesThatMustNotOpen),
            ["recoveryCodes"] = new JsonArray(recoveryCodes),
            ["recoveryCodesThatMustNotParse"] = new JsonArray(recoveryCodesThatMustNotParse),
            ["sealedBoxes"] = new JsonArray(sealedBoxes),
        };
    }

    /// <summary>Writes the generated vectors to the source tree.</summary>
    public static void WriteTo(string path) =>
        File.WriteAllText(path, Generate().ToJsonString(WriteOptions).ReplaceLineEndings("\n") + "\n");

    internal static byte[] FixedBytes(string label, int length) =>
        SHA256.HashData(Encoding.UTF8.GetBytes("polydev vector: " + label))[..length];

    private static JsonObject MasterKeyVector(string name, string password, byte[] salt)
    {
        var parameters = new KdfParameters(KdfParameters.Pbkdf2Sha256, KdfParameters.DefaultIterations, salt);
        byte[] masterKey = MasterKey.Derive(password, parameters);
        return new JsonObject
        {
            ["name"] = name,
            ["password"] = password,
            ["passwordNfcUtf8"] = Hex(PasswordEncoding.ToNfcUtf8(password)),
            ["kdf"] = new JsonObject
            {
                ["algorithm"] = parameters.Algorithm,
                ["iterations"] = parameters.Iterations,
                ["salt"] = Hex(parameters.Salt),
            },
            ["masterKey"] = Hex(masterKey),
            ["authKey"] = Hex(MasterKey.DeriveAuthKey(masterKey)),
            ["kek"] = Hex(MasterKey.DeriveKek(masterKey)),
        };
    }

    private static JsonObject EnvelopeVector(string name, byte[] key, string kind, Guid recordId, ReadOnlySpan<byte> plaintext, string? binding = null)
    {
        var context = new EnvelopeContext(kind, UserId, recordId, binding);
        byte[] nonce = FixedBytes("nonce/" + name, Envelope.NonceLength);
        return new JsonObject
        {
            ["name"] = name,
            ["kind"] = kind,
            ["userId"] = UserId.ToString("D"),
            ["recordId"] = recordId.ToString("D"),
            ["key"] = Hex(key),
            ["nonce"] = Hex(nonce),
            ["plaintext"] = Hex(plaintext),
            ["associatedData"] = Hex(context.GetAssociatedData(Envelope.Version1, Envelope.AlgorithmAes256Gcm)),
            ["envelope"] = Hex(Envelope.Seal(key, plaintext, context, nonce)),
        }.WithBinding(binding);
    }

    private static JsonObject FailingEnvelope(string name, byte[] key, string kind, Guid recordId, byte[] envelope, string failure, string? binding = null) => new JsonObject
    {
        ["name"] = name,
        ["kind"] = kind,
        ["userId"] = UserId.ToString("D"),
        ["recordId"] = recordId.ToString("D"),
        ["key"] = Hex(key),
        ["envelope"] = Hex(envelope),
        ["failure"] = failure,
    }.WithBinding(binding);

    /// <summary>Adds <c>binding</c> only where there is one, so the vectors from before issue 13 stay byte for byte.</summary>
    private static JsonObject WithBinding(this JsonObject vector, string? binding)
    {
        if (binding is not null)
        {
            vector["binding"] = binding;
        }

        return vector;
    }

    private static JsonObject RecoveryCodeVector(RecoveryCode code)
    {
        string text = code.ToString();
        return new JsonObject
        {
            ["bytes"] = Hex(Convert.FromBase64String(Base32ToBase64(text))),
            ["code"] = text,
            ["alsoParses"] = new JsonArray(text.ToLowerInvariant(), text.Replace("-", "", StringComparison.Ordinal), text.Replace('-', ' ').ToLowerInvariant()),
            ["wrappingKey"] = Hex(code.DeriveWrappingKey()),
            ["authKey"] = Hex(code.DeriveAuthKey()),
        };
    }

    // RecoveryCode keeps its bytes private; decode the display form back with an independent base32 decoder.
    private static string Base32ToBase64(string code)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bits = new StringBuilder();
        foreach (char c in code.Replace("-", "", StringComparison.Ordinal))
        {
            bits.Append(Convert.ToString(Alphabet.IndexOf(c), 2).PadLeft(5, '0'));
        }

        byte[] bytes = [.. Enumerable.Range(0, bits.Length / 8).Select(i => Convert.ToByte(bits.ToString(i * 8, 8), 2))];
        return Convert.ToBase64String(bytes);
    }

    private static JsonObject SealedBoxVector(string purpose, byte[] recipientPrivateKey, byte[] recipientPublicKey, byte[] ephemeralIkm, ReadOnlySpan<byte> plaintext)
    {
        byte[] sealedBox = SealedBox.Seal(recipientPublicKey, plaintext, purpose, ephemeralIkm);
        return new JsonObject
        {
            ["purpose"] = purpose,
            ["info"] = Hex(Encoding.UTF8.GetBytes("polydev/sealed-box/v1|" + purpose)),
            ["aad"] = Hex([SealedBox.Version1]),
            ["recipientIkm"] = Hex(FixedBytes("recipient ikm", 32)),
            ["recipientPrivateKey"] = Hex(recipientPrivateKey),
            ["recipientPublicKey"] = Hex(recipientPublicKey),
            ["ephemeralIkm"] = Hex(ephemeralIkm),
            ["enc"] = Hex(sealedBox.AsSpan(1, 65)),
            ["plaintext"] = Hex(plaintext),
            ["sealedBox"] = Hex(sealedBox),
        };
    }

    /// <summary>The DER layout crypto.subtle.exportKey("pkcs8") produces for P-256, built by hand so it is platform-independent.</summary>
    internal static byte[] WebCryptoPkcs8(byte[] privateKey, byte[] publicKey) =>
    [
        .. Convert.FromHexString("308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420"),
        .. privateKey,
        .. Convert.FromHexString("a144034200"),
        .. publicKey,
    ];
}
