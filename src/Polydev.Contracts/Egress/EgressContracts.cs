namespace Polydev.Contracts.Egress;

/// <summary>The caller's own egress port: where their sandboxes' traffic leaves, and what it has moved.</summary>
/// <param name="ProxyHost">Address the port listens on.</param>
/// <param name="Mode"><c>upstream</c> when chained to the operator's proxy (Decodo), <c>direct</c> otherwise.</param>
public sealed record EgressStatusResponse(
    int Port,
    string ProxyHost,
    string Mode,
    long BytesUp,
    long BytesDown,
    int ActiveTunnels,
    DateTimeOffset AllocatedAt);

/// <param name="LifetimeSeconds">How long the token works; the server's default (one hour) when null.</param>
public sealed record CreateEgressTokenRequest(int? LifetimeSeconds);

/// <summary>A proxy token, shown once; <see cref="ProxyUrl"/> is ready for HTTP(S)_PROXY.</summary>
public sealed record EgressTokenCreatedResponse(Guid Id, string Token, string ProxyUrl, DateTimeOffset ExpiresAt);

public sealed record EgressTokenResponse(Guid Id, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>What a "what is my IP" service saw when asked through the caller's egress port.</summary>
/// <param name="Address">The address it reported, when its answer could be read as one.</param>
/// <param name="Body">Its answer, cut to 1 KiB.</param>
public sealed record EgressCheckResponse(string? Address, int Status, string Body, double ElapsedMs, string Mode, int Port);

/// <summary>One row of the operator's port listing.</summary>
public sealed record AdminEgressPortResponse(Guid UserId, string Email, int Port, long BytesUp, long BytesDown, int ActiveTunnels, DateTimeOffset AllocatedAt);
