namespace Polydev.Server.Executions;

/// <summary>Settings under <c>Executions</c> (environment: <c>POLYDEV_EXECUTIONS__…</c>): the server's limits on each execution.</summary>
public sealed class ExecutionsOptions
{
    public const string Section = "Executions";

    /// <summary>Longest an execution may run once started; then its sandbox is destroyed (reason <c>timeout</c>).</summary>
    public TimeSpan MaxRunTime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Most ciphertext one execution may stream; beyond it the sandbox is destroyed (reason <c>output_limit</c>).</summary>
    public long MaxOutputBytes { get; set; } = 32L << 20;

    /// <summary>Executions one user may have allocated or running at once.</summary>
    public int MaxConcurrentPerUser { get; set; } = 4;

    /// <summary>Time between allocation and start; a sandbox not started by then is released (reason <c>not_started</c>).</summary>
    public TimeSpan StartWindow { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Largest sealed job accepted (the agent's own limit is 16 MiB).</summary>
    public int MaxSealedJobBytes { get; set; } = 16 << 20;
}
