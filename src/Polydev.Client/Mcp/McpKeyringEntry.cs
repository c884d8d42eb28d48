using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Polydev.Client.Keys;

namespace Polydev.Client.Mcp;

/// <summary>
/// What <c>polydev mcp setup</c> keeps in the OS keyring so that <c>polydev mcp</c> starts unlocked with no prompt:
/// the server, an API token of its own (revocable on its own), and the unlocked vault keys. The keyring is the OS's
/// protected store, as for Bitwarden's "unlock with the system"; the state file never holds any of it.
/// </summary>
internal sealed class McpKeyringEntry
{
    public const string KeyringName = "mcp";

    public required string Server { get; init; }

    public required string Email { get; init; }

    public required Guid UserId { get; init; }

    /// <summary>The <c>pd_t_</c> API token created for the MCP server.</summary>
    public required Guid TokenId { get; init; }

    public required string Token { get; init; }

    public required byte[] UserKey { get; init; }

    public required byte[] PrivateKey { get; init; }

    public static OsKeyring Keyring() => OsKeyring.Open(KeyringName);

    /// <summary>The entry for this client home, or null when there is none (or no keyring, or it does not read).</summary>
    public static McpKeyringEntry? Load(OsKeyring keyring)
    {
        var data = keyring.Read();
        if (data is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(data, McpKeyringJson.Default.McpKeyringEntry);
        }
        catch (JsonException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(data);
        }
    }

    public void Save(OsKeyring keyring)
    {
        var data = JsonSerializer.SerializeToUtf8Bytes(this, McpKeyringJson.Default.McpKeyringEntry);
        try
        {
            keyring.Write(data);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(data);
        }
    }

    /// <summary>A copy of the keys for one use; the caller disposes it.</summary>
    public VaultKeys Keys() => new(UserId, (byte[])UserKey.Clone(), (byte[])PrivateKey.Clone());

    /// <summary>Never the token or the keys.</summary>
    public override string ToString() => $"McpKeyringEntry {{ Server = {Server}, Email = {Email}, UserId = {UserId}, TokenId = {TokenId} }}";
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(McpKeyringEntry))]
internal sealed partial class McpKeyringJson : JsonSerializerContext;
