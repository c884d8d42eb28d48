using System.Text;

namespace Polydev.Crypto;

/// <summary>
/// What an envelope belongs to: its kind, its owner and its record. Sealing binds the envelope to this context
/// through AES-GCM associated data, so the server cannot move a ciphertext to another record, user or kind.
/// </summary>
/// <param name="Kind">One of <see cref="EnvelopeKinds"/>.</param>
/// <param name="UserId">The owning user.</param>
/// <param name="RecordId">The record the envelope is stored in; <see cref="EnvelopeKinds"/> says which id each kind uses.</param>
/// <param name="Binding">
/// What else the record is bound to, when it is part of what the record means: a chat message's chat id, a
/// credential's provider. Null for records that stand alone, and for records sealed before issue 13 (which a client
/// re-seals with it). Must not be empty or contain '|'.
/// </param>
/// <remarks>
/// The associated data is <c>version || algorithm || UTF-8("polydev/v1|" + kind + "|" + userId + "|" + recordId)</c>,
/// with <c>"|" + binding</c> appended when there is one, all ids lower-case and hyphenated. Only known kinds are
/// allowed, and none contains '|', so the joined string can be split back into exactly one context; with and without
/// a binding the field counts differ, so neither form can pass for the other.
/// </remarks>
public readonly record struct EnvelopeContext(string Kind, Guid UserId, Guid RecordId, string? Binding = null)
{
    private const string Domain = "polydev/v1";
    private const char Separator = '|';

    /// <summary>The record kind, one of <see cref="EnvelopeKinds"/>.</summary>
    /// <exception cref="ArgumentException">The kind being set is not known.</exception>
    public string Kind { get; init => field = RequireKnownKind(value); } = RequireKnownKind(Kind);

    /// <summary>Builds the AES-GCM associated data for this context under the given envelope header.</summary>
    /// <exception cref="ArgumentException">The kind is unknown (for example a <see langword="default"/> context).</exception>
    internal byte[] GetAssociatedData(byte version, byte algorithm)
    {
        // Checked again here because default(EnvelopeContext) never runs the validation above.
        string kind = RequireKnownKind(Kind);
        string text = string.Join(Separator, Domain, kind, UserId.ToString("D"), RecordId.ToString("D"));
        if (Binding is { } binding)
        {
            if (binding.Length == 0 || binding.Contains(Separator, StringComparison.Ordinal))
            {
                throw new ArgumentException("An envelope binding must not be empty or contain '|'.", nameof(Binding));
            }

            text += Separator + binding;
        }


        var associatedData = new byte[Envelope.HeaderLength + Encoding.UTF8.GetByteCount(text)];
        associatedData[0] = version;
        associatedData[1] = algorithm;
        Encoding.UTF8.GetBytes(text, associatedData.AsSpan(Envelope.HeaderLength));
        return associatedData;
    }

    private static string RequireKnownKind(string kind) =>
        EnvelopeKinds.IsKnown(kind)
            ? kind
            : throw new ArgumentException("The envelope kind is not one of EnvelopeKinds.", nameof(Kind));
}
