namespace Polydev.Contracts.Vault;

public sealed record CreateChatRequest(Guid Id, EncryptedValue Title);

public sealed record UpdateChatRequest(EncryptedValue Title, long Revision);

public sealed record ChatResponse(
    Guid Id,
    EncryptedValue Title,
    long Revision,
    long MessageCount,
    DateTimeOffset? LastMessageAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record CreateMessageRequest(Guid Id, EncryptedValue Body);

public sealed record UpdateMessageRequest(EncryptedValue Body, long Revision);

public sealed record MessageResponse(
    Guid Id,
    Guid ChatId,
    EncryptedValue Body,
    long Revision,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

/// <summary>
/// What appending a message answers: where it now stands, without the body the client has just sent. A message is up
/// to 1 MiB of ciphertext, which an echo would send straight back.
/// </summary>
public sealed record MessageCreatedResponse(
    Guid Id,
    Guid ChatId,
    long Revision,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record CreateCredentialRequest(Guid Id, string Provider, EncryptedValue Secret);

public sealed record UpdateCredentialRequest(EncryptedValue Secret, long Revision);

public sealed record CredentialResponse(
    Guid Id,
    string Provider,
    EncryptedValue Secret,
    long Revision,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);
