using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Crypto;

namespace Polydev.Server.Accounts;

/// <summary>Maps account rows to what the API returns.</summary>
public static class AccountViews
{
    public static AccountKeysResponse ToKeys(UserRecord user) => new(
        user.UserId,
        user.Email,
        new KdfDto(user.KdfAlgorithm, (int)user.KdfIterations, user.KdfSalt),
        new EncryptedValue(EnvelopeKinds.UserKey, user.UserId, user.UserKey),
        user.PublicKey,
        new EncryptedValue(EnvelopeKinds.UserPrivateKey, user.UserId, user.PrivateKey),
        user.RecoveryAuthHash is not null,
        UnixTime.ToDateTimeOffset(user.CreatedAt),
        user.KeyRotationRequired);

    public static SessionResponse ToSession(SessionRecord session, Guid currentSessionId) => new(
        Guid.Parse(session.Id),
        session.Kind,
        session.Name,
        UnixTime.ToDateTimeOffset(session.CreatedAt),
        UnixTime.ToDateTimeOffset(session.LastUsedAt),
        UnixTime.ToDateTimeOffset(session.ExpiresAt),
        Guid.Parse(session.Id) == currentSessionId);
}
