using System.Collections.Concurrent;
using System.Security.Cryptography;
using Polydev.Server.Egress;

namespace Polydev.Server.Tests.Egress;

/// <summary>
/// The tests' token registry: a dictionary of token to user. The server's real registry
/// implements the same <see cref="IEgressAuthenticator"/>.
/// </summary>
public sealed class TokenAuthenticator : IEgressAuthenticator
{
    private readonly ConcurrentDictionary<string, EgressPrincipal> _tokens = new(StringComparer.Ordinal);

    public int Checks;

    public string Issue(Guid userId) => Issue(userId, null);

    /// <param name="boundTo">The only client address the token works from, as an execution's token; null: any.</param>
    public string Issue(Guid userId, System.Net.IPAddress? boundTo)
    {
        // Not in the pd_x_ form the log redactor knows: a token in the logs would show, not be masked.
        var token = "egress" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        _tokens[token] = new EgressPrincipal(userId, Guid.NewGuid(), boundTo);
        return token;
    }

    /// <summary>Expired or revoked: from now on the token is unknown.</summary>
    public void Revoke(string token) => _tokens.TryRemove(token, out _);

    public ValueTask<EgressPrincipal?> AuthenticateAsync(string token, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Checks);
        return ValueTask.FromResult(_tokens.GetValueOrDefault(token));
    }
}
