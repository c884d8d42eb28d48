using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Agents;

namespace Polydev.Server.Pools;

/// <summary>A sandbox whose agent has made its one-job key and waits for the job: ready to take a sealed job.</summary>
/// <param name="PublicKey">The agent's P-256 public key (65-byte uncompressed point).</param>
/// <param name="Agent">The channel to the waiting agent: the job goes in, the output comes out (docs/agent-protocol.md).</param>
public sealed record WarmSandbox(SandboxHandle Handle, string Runtime, string ImageVersion, byte[] PublicKey, DateTimeOffset ReadyAt, AgentChannel Agent)
{
    public string Id => Handle.Id;
}

/// <summary>A sandbox handed to an execution.</summary>
/// <param name="Warm">Taken from the pool; false when created on demand (the cold path).</param>
public sealed record AllocatedSandbox(WarmSandbox Sandbox, bool Warm, TimeSpan Elapsed);

/// <summary>No sandbox could be had: the kind's ceiling is reached, its pool is off, or the engine failed.</summary>
public sealed class SandboxUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
