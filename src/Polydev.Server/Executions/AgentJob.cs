using System.Buffers.Binary;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Executions;

/// <summary>
/// The agent's side of a job as the server meets it (<c>polydev-agent serve</c>, src/Polydev.Agent/AgentProgram.cs):
/// the sealed job goes in as a 4-byte big-endian length and the sealed bytes, then stdin closes; exit codes 3 and 4
/// say the agent refused the job (it could not open or parse it).
/// </summary>
internal static class AgentJob
{
    /// <summary>Writes the framed sealed job to the waiting agent's stdin and closes it.</summary>
    public static async Task SendAsync(SandboxProcess process, byte[] sealedJob, CancellationToken cancellationToken)
    {
        // The agent has waited on this stdin since the sandbox warmed: the job is one write away.
        var framed = new byte[4 + sealedJob.Length];
        BinaryPrimitives.WriteInt32BigEndian(framed, sealedJob.Length);
        sealedJob.CopyTo(framed, 4);
        await process.Stdin.WriteAsync(framed, cancellationToken);
        await process.Stdin.FlushAsync(cancellationToken);
        await process.CloseStdinAsync();
    }

    /// <summary>The agent refused the job: it could not open it (3) or it was not a valid job (4).</summary>
    public static bool WasRefused(int? exitCode) => exitCode is 3 or 4;
}
