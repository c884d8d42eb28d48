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

    /// <summary>A provider account connected by its CLI's own login: <see cref="Secret"/> is the CLI's credential file.</summary>
    public const string OAuth = "oauth";

    /// <summary>For <see cref="OAuth"/>: the account's e-mail or id, as the CLI's files name it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Account { get; init; }

    /// <summary>For <see cref="OAuth"/>: when the access token in the file expires.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>For <see cref="OAuth"/>: the file holds a refresh token, so the CLI renews an expired access token by itself.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Refreshable { get; init; }

    /// <summary>What the sealed job carries: an OAuth credential is the CLI's own credential file. Not part of the record.</summary>
    [JsonIgnore]
    public string JobType => Type == OAuth ? Polydev.Contracts.Jobs.JobCredential.CredentialFile : Type;

    /// <summary>Seals the secret bound to its provider (issue 13): the server cannot relabel it as another provider's.</summary>
    public EncryptedValue Seal(VaultCipher cipher, Guid credentialId, string provider) =>
        cipher.Seal(EnvelopeKinds.CredentialSecret, credentialId, JsonSerializer.SerializeToUtf8Bytes(this, PolydevJson.Options), provider);

    /// <summary>
    /// Opens a credential the caller expects to be <paramref name="provider"/>'s. One sealed before credentials were bound
    /// to their provider opens too, with <see cref="Opened.Legacy"/> set so the caller can re-seal it.
    /// </summary>
    public static Opened Open(VaultCipher cipher, Guid credentialId, string provider, EncryptedValue value)
    {
        var (plaintext, legacy) = cipher.OpenBound(EnvelopeKinds.CredentialSecret, credentialId, value, provider);
        return new Opened(VaultJson.Read<CredentialSecret>(plaintext, "credential", credentialId), legacy);
    }

    /// <param name="Legacy">Sealed without its provider (before issue 13): readable, but the server could have relabelled it.</param>
    public sealed record Opened(CredentialSecret Secret, bool Legacy)
    {
        public override string ToString() => $"Opened {{ Secret = {Secret}, Legacy = {Legacy} }}";
    }

    /// <summary>Never print the secret, not even by accident through a record's generated ToString.</summary>
    public override string ToString() => $"CredentialSecret {{ Label = {Label}, Type = {Type}, Account = {Account}, BaseUrl = {BaseUrl} }}";
}
