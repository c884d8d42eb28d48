using System.Diagnostics;
using Polydev.Contracts.Jobs;

namespace Polydev.Agent.Timing;

/// <summary>
/// The job's phases on the agent's monotonic clock, from the moment it received the job: each phase kept the first
/// time it is reached, from whichever thread reaches it. Always on: a few timestamps per job.
/// </summary>
internal sealed class JobClock
{
    private readonly long _received = Stopwatch.GetTimestamp();
    private long _credentialPlaced;
    private long _cliSpawned;
    private long _egressFirstByte;
    private long _providerFirstByte;
    private long _firstText;
    private long _end;
    private bool _startedAhead;

    public void CredentialPlaced() => Mark(ref _credentialPlaced);

    /// <param name="startedAhead">The CLI was started while the sandbox waited; this is when the job was handed to it.</param>
    public void CliSpawned(bool startedAhead)
    {
        _startedAhead = startedAhead;
        Mark(ref _cliSpawned);
    }

    public void EgressFirstByte() => Mark(ref _egressFirstByte);

    public void ProviderFirstByte() => Mark(ref _providerFirstByte);

    public void FirstText() => Mark(ref _firstText);

    public void End() => Mark(ref _end);

    public JobTimings Timings() => new()
    {
        CredentialPlacedMs = Milliseconds(_credentialPlaced),
        CliSpawnedMs = Milliseconds(_cliSpawned),
        CliStartedAhead = _cliSpawned == 0 ? null : _startedAhead,
        EgressFirstByteMs = Milliseconds(_egressFirstByte),
        ProviderFirstByteMs = Milliseconds(_providerFirstByte),
        FirstTextMs = Milliseconds(_firstText),
        EndMs = Milliseconds(_end),
    };

    /// <summary>The same figures for the exit frame (metadata the server exports as metrics).</summary>
    public Polydev.Agent.Protocol.AgentPhases Phases()
    {
        JobTimings t = Timings();
        static int? Ms(long? value) => value is { } v ? (int)Math.Min(v, int.MaxValue) : null;
        return new(t.CliStartedAhead == true, Ms(t.CredentialPlacedMs), Ms(t.CliSpawnedMs), Ms(t.EgressFirstByteMs), Ms(t.ProviderFirstByteMs), Ms(t.FirstTextMs), Ms(t.EndMs));
    }

    private static void Mark(ref long phase) => Interlocked.CompareExchange(ref phase, Stopwatch.GetTimestamp(), 0);

    private long? Milliseconds(long phase) =>
        phase == 0 ? null : (long)Stopwatch.GetElapsedTime(_received, Volatile.Read(ref phase)).TotalMilliseconds;
}
