using System.Text;
using Polydev.Client;
using Polydev.Client.Keys;
using Polydev.Client.Vault;
using Polydev.Crypto;

namespace Polydev.EndToEnd.Tests;

/// <summary>Pins the plaintext formats of docs/vault.md, which the web client must write and read byte for byte.</summary>
public sealed class VaultFormatTests
{
    private static readonly Guid UserId = Guid.Parse("01936f0e-0000-7000-8000-000000000001");
    private static readonly Guid RecordId = Guid.Parse("01936f0e-0000-7000-8000-000000000002");
    private static readonly Guid ChatId = Guid.Parse("01936f0e-0000-7000-8000-000000000003");

    [Fact]
    public void Chat_message_is_camel_case_json_with_nulls_written()
    {
        using var keys = Keys();
        var sealedValue = new ChatMessageBody("user", "héllo\n\"you\"", null, null).Seal(new VaultCipher(keys), ChatId, RecordId);

        Assert.Equal(EnvelopeKinds.ChatMessage, sealedValue.Kind);
        Assert.Equal(RecordId, sealedValue.RecordId);
        var json = Encoding.UTF8.GetString(Envelope.Open(keys.UserKey, sealedValue.Envelope, new EnvelopeContext(EnvelopeKinds.ChatMessage, UserId, RecordId, ChatId.ToString("D"))));
        Assert.Equal("""{"role":"user","text":"h\u00E9llo\n\u0022you\u0022","provider":null,"model":null}""", json);
    }

    [Fact]
    public void Chat_message_reader_accepts_missing_optional_fields_and_ignores_unknown_ones()
    {
        using var keys = Keys();
        var plaintext = """{"role":"assistant","text":"Done.","provider":"anthropic","later":[1,2]}"""u8.ToArray();
        var value = new Contracts.EncryptedValue(EnvelopeKinds.ChatMessage, RecordId, Envelope.Seal(keys.UserKey, plaintext, new EnvelopeContext(EnvelopeKinds.ChatMessage, UserId, RecordId)));

        // Sealed the way clients did before issue 13 (no chat in the associated data): still read, marked legacy.
        var opened = ChatMessageBody.Open(new VaultCipher(keys), ChatId, RecordId, value);

        Assert.Equal(new ChatMessageBody("assistant", "Done.", "anthropic", null), opened.Body);
        Assert.True(opened.Legacy);
    }

    [Fact]
    public void Credential_is_label_type_secret_json_and_never_prints_its_secret()
    {
        using var keys = Keys();
        var credential = new CredentialSecret("work", CredentialSecret.ApiKey, "sk-123");
        var value = credential.Seal(new VaultCipher(keys), RecordId, "anthropic");

        var json = Encoding.UTF8.GetString(Envelope.Open(keys.UserKey, value.Envelope, new EnvelopeContext(EnvelopeKinds.CredentialSecret, UserId, RecordId, "anthropic")));
        Assert.Equal("""{"label":"work","type":"api_key","secret":"sk-123"}""", json);
        Assert.Equal(new CredentialSecret.Opened(credential, Legacy: false), CredentialSecret.Open(new VaultCipher(keys), RecordId, "anthropic", value));

        // Issue 13, finding 15d: the provider is bound; as another provider's the same envelope does not open.
        Assert.Throws<CliException>(() => CredentialSecret.Open(new VaultCipher(keys), RecordId, "openai", value));
        Assert.DoesNotContain("sk-123", credential.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Title_is_plain_utf8_and_bound_to_its_chat()
    {
        using var keys = Keys();
        var cipher = new VaultCipher(keys);
        var value = ChatTitle.Seal(cipher, RecordId, "Plan ✓");

        Assert.Equal("Plan ✓"u8.ToArray(), Envelope.Open(keys.UserKey, value.Envelope, new EnvelopeContext(EnvelopeKinds.ChatTitle, UserId, RecordId)));
        Assert.Equal("Plan ✓", ChatTitle.Open(cipher, RecordId, value));

        // The server relabelling the envelope as another chat's does not fool the reader.
        var moved = value with { RecordId = UserId };
        Assert.Throws<CliException>(() => ChatTitle.Open(cipher, UserId, moved));
    }

    private static VaultKeys Keys() => new(UserId, UserKey.Generate(), [1, 2, 3]);
}
