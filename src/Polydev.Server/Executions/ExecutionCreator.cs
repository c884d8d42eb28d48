using Microsoft.Extensions.Options;
using Polydev.Contracts.Executions;

namespace Polydev.Server.Executions;

/// <summary>Creates an execution: admits it, records it as allocated, holds it for its start, and answers with the sandbox's key and the proxy URL.</summary>
public sealed class ExecutionCreator(
    ExecutionAdmission admission,
    ExecutionStore store,
    PendingExecutions pending,
    IOptions<ExecutionsOptions> options,
    TimeProvider clock,
    ExecutionTelemetry telemetry)
{
    public async Task<(ExecutionRecord Record, ExecutionCreatedResponse Response)> CreateAsync(Guid userId, string provider, CancellationToken cancellationToken)
    {
        var limits = options.Value;
        var id = Guid.CreateVersion7(clock.GetUtcNow());
        using var admitted = await admission.AdmitAsync(userId, provider, id.ToString("D"), cancellationToken);
        var sandbox = admitted.Sandbox.Sandbox;
        var now = clock.GetUtcNow();
        var record = new ExecutionRecord
        {
            Id = id.ToString("D"),
            UserId = userId.ToString("D"),
            Provider = provider,
            SandboxId = sandbox.Id,
            EgressTokenId = admitted.TokenId,
            OwnerServer = admitted.OwnerServer,
            State = ExecutionStates.Allocated,
            Warm = admitted.Sandbox.Warm ? 1 : 0,
            CreatedAt = now.ToUnixTimeMilliseconds(),
        };
        await store.InsertAsync(record, cancellationToken);
        pending.Hold(record, sandbox);
        telemetry.Created(record, admitted.Sandbox.Warm, admitted.Sandbox.Elapsed);

        var response = new ExecutionCreatedResponse(
            id,
            provider,
            Convert.ToBase64String(sandbox.PublicKey),
            admitted.ProxyUrl,
            admitted.Sandbox.Warm,
            now + limits.StartWindow,
            new ExecutionLimitsResponse((int)limits.MaxRunTime.TotalSeconds, limits.MaxOutputBytes));
        return (record, response);
    }
}
