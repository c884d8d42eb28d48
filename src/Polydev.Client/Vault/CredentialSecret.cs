using System.Text.Json;
using System.Text.Json.Serialization;
using Polydev.Contracts;
using Polydev.Crypto;

namespace Polydev.Client.Vault;

/// <summary>
/// A provider credential's plaintext: UTF-8 JSON <c>{"label":"…","type":"api_key","secret":"…"}</c>, kind
/// <c>credential.secret</c>, record id = credential id (docs/vault.md). The provider itself is stored in plain
/// beside it, so the server can pick the right credential without reading it. <see cref="BaseUrl"/> and
/// <see cref="CaBundle"/> optionally name the endpoint the key belongs to (a company gateway); they are sealed with
/// the key because where a key is sent is as much the user's choice as the key.
/// </summary>
internal sealed record CredentialSecret(
    string Label,
    string Type,
    string Secret,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? BaseUrl = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CaBundle = null)
{
    public const string ApiKey = "api_key";

    public EncryptedValue Seal(VaultCipher cipher, Guid credentialId) =>
        cipher.Seal(EnvelopeKinds.CredentialSecret, credentialId, JsonSerializer.SerializeToUtf8Bytes(this, PolydevJson.Options));

    public static CredentialSecret Open(VaultCipher cipher, Guid credentialId, EncryptedValue value) =>
        VaultJson.Read<CredentialSecret>(cipher.Open(EnvelopeKinds.CredentialSecret, credentialId, value), "credential", credentialId);

    /// <summary>Never print the secret, not even by accident through a record's generated ToString.</summary>
    public override string ToString() => $"CredentialSecret {{ Label = {Label}, Type = {Type}, BaseUrl = {BaseUrl} }}";
}
