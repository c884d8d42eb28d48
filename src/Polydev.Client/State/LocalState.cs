namespace Polydev.Client.State;

/// <summary>
/// What the client remembers between runs: who is signed in where, and (after <c>polydev unlock</c>) the
/// keys encrypted under the session key. Never the password, the master key, the KEK or a plaintext key.
/// </summary>
/// <param name="Server">The server the token was issued by; the token is only ever sent there.</param>
/// <param name="Token">The bearer token of the login session (a secret, but not a key: it reveals no data).</param>
internal sealed record LocalState(
    string Server,
    string Email,
    Guid UserId,
    string Token,
    Guid SessionId,
    KeyCache? KeyCache)
{
    /// <summary>Leaves the token out, so the state can never be printed or logged with it by accident.</summary>
    public override string ToString() => $"LocalState {{ Server = {Server}, Email = {Email}, UserId = {UserId}, SessionId = {SessionId}, Unlocked = {KeyCache is not null} }}";
}

/// <summary>
/// The user key and the PKCS#8 private key, each in an envelope under the random session key that only
/// <c>POLYDEV_SESSION</c> holds. Without it these bytes are as opaque as the server's copies.
/// </summary>
/// <param name="Id">A random id per unlock; it is the envelopes' record id (see <see cref="KeyCacheCipher"/>).</param>
internal sealed record KeyCache(Guid Id, byte[] UserKey, byte[] PrivateKey);
