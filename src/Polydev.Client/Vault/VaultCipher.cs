using System.Security.Cryptography;
using Polydev.Client.Keys;
using Polydev.Contracts;
using Polydev.Crypto;

namespace Polydev.Client.Vault;

/// <summary>
/// Seals and opens vault records under the user key. Every envelope is bound to (kind, user, record id), so the
/// server cannot move a ciphertext to another record; a record that fails to open was altered or is not ours.
/// </summary>
internal sealed class VaultCipher(VaultKeys keys)
{
    /// <param name="binding">What else the record is bound to (a message's chat id, a credential's provider); null for none.</param>
    public EncryptedValue Seal(string kind, Guid recordId, byte[] plaintext, string? binding = null)
    {
        try
        {
            return new EncryptedValue(kind, recordId, Envelope.Seal(keys.UserKey, plaintext, new EnvelopeContext(kind, keys.UserId, recordId, binding)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <summary>Opens <paramref name="value"/>, which must be of <paramref name="kind"/> and bound to <paramref name="recordId"/>.</summary>
    /// <exception cref="CliException">The envelope does not open: it was altered, swapped or sealed by someone else.</exception>
    public byte[] Open(string kind, Guid recordId, EncryptedValue value) =>
        TryOpen(kind, recordId, value, binding: null)
        ?? throw new CliException($"the {kind} record {recordId} does not decrypt with your key; it was altered or is not yours.");

    /// <summary>
    /// Opens a record bound to <paramref name="binding"/> (a message's chat id, a credential's provider). One sealed
    /// before records were bound (issue 13) opens too, marked legacy so the caller can re-seal it
    /// (<see cref="LegacyRecords"/>); one bound to anything else does not open.
    /// </summary>
    public (byte[] Plaintext, bool Legacy) OpenBound(string kind, Guid recordId, EncryptedValue value, string binding) =>
        TryOpen(kind, recordId, value, binding) is { } bound ? (bound, false) : (Open(kind, recordId, value), true);

    /// <summary>The plaintext, or null when the envelope does not open in exactly this context.</summary>
    private byte[]? TryOpen(string kind, Guid recordId, EncryptedValue value, string? binding)
    {
        // The context comes from what we asked for, not from the server's labels, so a relabelled envelope fails.
        try
        {
            return Envelope.Open(keys.UserKey, value.Envelope, new EnvelopeContext(kind, keys.UserId, recordId, binding));
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
