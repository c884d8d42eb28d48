namespace Polydev.Server.Egress;

/// <summary>
/// Turns the token a client put in <c>Proxy-Authorization</c> into the user it was issued to.
/// The proxy then checks that this user owns the port the request came in on.
/// </summary>
public interface IEgressAuthenticator
{
    /// <returns>The token's owner, or null when the token is unknown, expired or revoked.</returns>
    ValueTask<EgressPrincipal?> AuthenticateAsync(string token, CancellationToken cancellationToken);
}

/// <param name="UserId">Whose egress port the token opens.</param>
/// <param name="TokenId">Which token it was.</param>
/// <param name="BoundAddress">
/// The only client address the token works from: an execution's token is bound to its sandbox's address, so a copy
/// taken out of the sandbox is worth nothing elsewhere. Null for a user's own tokens (<c>polydev egress token</c>).
/// </param>
public sealed record EgressPrincipal(Guid UserId, Guid TokenId, System.Net.IPAddress? BoundAddress = null);

/// <summary>Bytes one user moved through their port, and their open connections.</summary>
/// <param name="BytesUp">Client to destination.</param>
/// <param name="BytesDown">Destination to client.</param>
public readonly record struct EgressUsage(long BytesUp, long BytesDown, int ActiveTunnels);
