using Microsoft.Extensions.Options;
using Polydev.Server.Egress;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Executions;

/// <summary>
/// An execution's way out: the user's egress port and a proxy token for this execution alone, handed to the client
/// as a proxy URL at the address the engine's network reports (<see cref="ISandboxNetworkSetup.EgressAddress"/>).
/// </summary>
public sealed class EgressAccess(
    EgressService egress,
    EgressTokenStore tokens,
    EgressTokenAuthenticator tokenCache,
    ISandboxNetworkSetup network,
    IOptions<EgressOptions> egressOptions,
    ExecutionTelemetry telemetry)
{
    /// <summary>Throws when the egress proxy would listen where sandboxes cannot reach it.</summary>
    public void EnsureReachable()
    {
        if (network.EgressBindProblem(egressOptions.Value.BindAddress) is { } problem)
        {
            throw new InvalidOperationException(problem);
        }
    }

    /// <summary>The user's egress port, opened when missing. Throws <see cref="EgressPortUnavailableException"/> when none can be had.</summary>
    public Task<UserProxyPort> EnsurePortAsync(Guid userId, CancellationToken cancellationToken) => egress.EnsurePortAsync(userId, cancellationToken);

    /// <summary>
    /// A proxy token for one execution, valid for <paramref name="lifetime"/> at most (it is revoked when the execution
    /// ends) and only from <paramref name="sandboxAddress"/>, and the URL that carries it. The user's own tokens never
    /// enter a sandbox.
    /// </summary>
    public async Task<(string TokenId, string ProxyUrl)> GrantAsync(
        Guid userId, UserProxyPort port, TimeSpan lifetime, System.Net.IPAddress? sandboxAddress, CancellationToken cancellationToken)
    {
        var (token, record) = await tokens.IssueAsync(userId, lifetime, cancellationToken, sandboxAddress);
        return (record.Id, $"http://polydev:{token}@{network.EgressAddress}:{port.Port}");
    }

    /// <summary>Revokes a token at once; a failure is logged (the token expires on its own soon after the execution's longest life).</summary>
    public async Task RevokeAsync(Guid userId, string? tokenId)
    {
        if (tokenId is null)
        {
            return;
        }

        try
        {
            if (await tokens.RevokeAsync(userId, Guid.Parse(tokenId), CancellationToken.None) is { } hash)
            {
                tokenCache.Forget(hash);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            telemetry.RevokeFailed(tokenId, e.Message);
        }
    }
}
