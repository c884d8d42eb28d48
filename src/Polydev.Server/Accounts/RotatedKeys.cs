namespace Polydev.Server.Accounts;

/// <summary>What a key rotation stores on the account row: all ciphertext, public key material and hashes.</summary>
/// <param name="RecoveryAuthHash">The new recovery code's hash, or null (with <paramref name="RecoveryUserKey"/>) for none.</param>
/// <param name="Password">A new password's KDF and authKey hash, or null to keep the password.</param>
public sealed record RotatedKeys(byte[] UserKey, byte[] PublicKey, byte[] PrivateKey, string? RecoveryAuthHash, byte[]? RecoveryUserKey, RotatedPassword? Password);

public sealed record RotatedPassword(string KdfAlgorithm, int KdfIterations, byte[] KdfSalt, string AuthKeyHash);
