using Polydev.Contracts;
using Polydev.Crypto;

namespace Polydev.Server.Vault;

/// <summary>
/// What the server can check of a ciphertext it cannot read: that it is an envelope of a
/// supported version, within size, and bound (kind and record id of its associated data) to
/// the very record it is being stored in — so a client bug cannot file one record's
/// ciphertext under another, and a decrypting client will detect any swap the server makes.
/// </summary>
public static class EncryptedValueRules
{
    public static void Check(EncryptedValue? value, string field, string expectedKind, Guid recordId, int maxEnvelopeBytes, RequestErrors errors)
    {
        if (value is null)
        {
            errors.Add(field, $"{field} is required.");
            return;
        }

        if (!string.Equals(value.Kind, expectedKind, StringComparison.Ordinal))
        {
            errors.Add($"{field}.kind", $"{field}.kind must be '{expectedKind}'.");
        }

        if (value.RecordId != recordId)
        {
            errors.Add($"{field}.recordId", $"{field}.recordId must be the id of the record it is stored in.");
        }

        if (value.Envelope is null || value.Envelope.Length == 0)
        {
            errors.Add($"{field}.envelope", $"{field}.envelope is required.");
        }
        else if (value.Envelope.Length > maxEnvelopeBytes)
        {
            errors.Add($"{field}.envelope", $"{field}.envelope is {value.Envelope.Length} bytes; at most {maxEnvelopeBytes} are accepted.");
        }
        else if (!Envelope.TryValidateShape(value.Envelope, out var shapeError))
        {
            errors.Add($"{field}.envelope", $"{field}.envelope: {shapeError}");
        }
    }

    public static EncryptedValue ToValue(string kind, string recordId, byte[] envelope) =>
        new(kind, Guid.Parse(recordId), envelope);
}
