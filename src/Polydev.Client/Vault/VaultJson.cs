using System.Security.Cryptography;
using System.Text.Json;
using Polydev.Contracts;

namespace Polydev.Client.Vault;

/// <summary>Parses a decrypted JSON plaintext and zeroes its bytes. Unknown fields are ignored, so newer clients can add some.</summary>
internal static class VaultJson
{
    public static T Read<T>(byte[] plaintext, string what, Guid recordId)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(plaintext, PolydevJson.Options)
                ?? throw new JsonException("null");
        }
        catch (JsonException)
        {
            // The parser's message can quote the plaintext; ours does not.
            throw new CliException($"the {what} {recordId} decrypts, but not to the format docs/vault.md describes.");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}
