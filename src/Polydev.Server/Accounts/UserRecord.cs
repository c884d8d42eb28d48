namespace Polydev.Server.Accounts;

/// <summary>A row of <c>users</c>. Every byte field is ciphertext or public key material.</summary>
public sealed class UserRecord
{
    public string Id { get; set; } = "";
    public string Email { get; set; } = "";
    public string KdfAlgorithm { get; set; } = "";
    public long KdfIterations { get; set; }
    public byte[] KdfSalt { get; set; } = [];
    public string AuthKeyHash { get; set; } = "";
    public byte[] UserKey { get; set; } = [];
    public byte[] PublicKey { get; set; } = [];
    public byte[] PrivateKey { get; set; } = [];
    public string? RecoveryAuthHash { get; set; }
    public byte[]? RecoveryUserKey { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }

    /// <summary>Set by a reset with the recovery code, cleared by a key rotation; while set, the vault takes no writes.</summary>
    public bool KeyRotationRequired { get; set; }

    public Guid UserId => Guid.Parse(Id);
}
