namespace Polydev.Contracts;

/// <summary>
/// One client-side encrypted value as it travels over the API: the envelope bytes plus the
/// context its associated data binds it to (docs/crypto.md). The server checks that the
/// context matches the record it is stored in; only the client can check the envelope itself.
/// </summary>
/// <param name="Kind">Envelope kind, e.g. <c>chat.message</c>.</param>
/// <param name="RecordId">The record the envelope is bound to.</param>
/// <param name="Envelope">The envelope bytes (base64 in JSON).</param>
public sealed record EncryptedValue(string Kind, Guid RecordId, byte[] Envelope);

/// <summary>Key-derivation parameters, sent by the server so a client can derive its keys.</summary>
public sealed record KdfDto(string Algorithm, int Iterations, byte[] Salt);

/// <summary>One page of a list; <see cref="NextCursor"/> is null on the last page.</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor);
