using Microsoft.Extensions.Options;
using Polydev.Contracts;
using Polydev.Contracts.Accounts;
using Polydev.Crypto;
using Polydev.Server.Vault;

namespace Polydev.Server.Accounts;

/// <summary>Checks of account key material; the server cannot see inside it, only its shape.</summary>
public sealed class AccountRules(IOptions<AccountsOptions> options)
{
    /// <summary>userKey and PKCS#8 private keys are small; this leaves room, not abuse.</summary>
    public const int MaxKeyEnvelopeBytes = 1024;
    public const int ProofLength = 32;
    public const int MaxDeviceNameLength = 100;

    /// <summary>
    /// A name people will read back (an API token's, a login's device) holds no <see cref="SteeringCharacters"/>: a
    /// terminal or a page that prints the name must show exactly what it says.
    /// </summary>
    public static void CheckDisplayName(string? name, string field, RequestErrors errors)
    {
        if (name is not null && SteeringCharacters.IndexIn(name) is var i and >= 0)
        {
            errors.Add(field, $"{field} must not contain control, line-break, bidirectional or zero-width characters (found U+{(int)name[i]:X4} at position {i + 1}).");
        }
    }

    public void CheckKdf(KdfDto? kdf, RequestErrors errors, string field = "kdf")
    {
        if (kdf is null)
        {
            errors.Add(field, $"{field} is required.");
            return;
        }

        try
        {
            new KdfParameters(kdf.Algorithm, kdf.Iterations, kdf.Salt ?? []).EnsureAcceptable();
        }
        catch (WeakKdfParametersException e)
        {
            errors.Add(field, e.Message);
        }

        if (kdf.Iterations > options.Value.MaxKdfIterations)
        {
            errors.Add($"{field}.iterations", $"{field}.iterations may be at most {options.Value.MaxKdfIterations}.");
        }
    }

    public static void CheckProof(byte[]? proof, string field, RequestErrors errors)
    {
        if (proof is null || proof.Length != ProofLength)
        {
            errors.Add(field, $"{field} must be {ProofLength} bytes (base64).");
        }
    }

    public static void CheckEmail(string? email, RequestErrors errors, out string normalized)
    {
        if (!EmailAddress.TryNormalize(email, out normalized))
        {
            errors.Add("email", "email must be an e-mail address of at most 254 characters.");
        }
    }

    public static void CheckWrappedUserKey(EncryptedValue? value, Guid userId, RequestErrors errors, string field = "userKey") =>
        EncryptedValueRules.Check(value, field, EnvelopeKinds.UserKey, userId, MaxKeyEnvelopeBytes, errors);

    public static void CheckRecovery(RecoveryDto? recovery, Guid userId, RequestErrors errors)
    {
        if (recovery is null)
        {
            return;
        }

        CheckProof(recovery.AuthKey, "recovery.authKey", errors);
        EncryptedValueRules.Check(recovery.UserKey, "recovery.userKey", EnvelopeKinds.UserRecoveryKey, userId, MaxKeyEnvelopeBytes, errors);
    }

    /// <summary>A public key login sandboxes can seal to, and a private key wrapped by the user key.</summary>
    public static void CheckKeyPair(byte[]? publicKey, EncryptedValue? privateKey, Guid userId, RequestErrors errors)
    {
        if (publicKey is null || !UserKeyPair.IsValidPublicKey(publicKey))
        {
            errors.Add("publicKey", "publicKey must be an uncompressed P-256 point (65 bytes, base64).");
        }

        EncryptedValueRules.Check(privateKey, "privateKey", EnvelopeKinds.UserPrivateKey, userId, MaxKeyEnvelopeBytes, errors);
    }

    public void CheckSignup(SignupRequest request, RequestErrors errors, out string email)
    {
        if (request.UserId == Guid.Empty)
        {
            errors.Add("userId", "userId must be a non-empty UUID made by the client.");
        }

        CheckEmail(request.Email, errors, out email);
        CheckKdf(request.Kdf, errors);
        CheckProof(request.AuthKey, "authKey", errors);
        CheckWrappedUserKey(request.UserKey, request.UserId, errors);
        CheckKeyPair(request.PublicKey, request.PrivateKey, request.UserId, errors);
        CheckRecovery(request.Recovery, request.UserId, errors);
    }
}
