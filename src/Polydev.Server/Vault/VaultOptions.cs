namespace Polydev.Server.Vault;

/// <summary>Settings under <c>Vault</c> (environment: <c>POLYDEV_VAULT__…</c>). Sizes are envelope bytes.</summary>
public sealed class VaultOptions
{
    public const string Section = "Vault";

    public int MaxChatTitleBytes { get; set; } = 4 * 1024;

    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    public int MaxCredentialBytes { get; set; } = 64 * 1024;

    /// <summary>Body limit of vault requests: the largest envelope as base64 plus JSON around it.</summary>
    public long MaxRequestBodyBytes => (MaxMessageBytes * 4L / 3) + 16 * 1024;
}
