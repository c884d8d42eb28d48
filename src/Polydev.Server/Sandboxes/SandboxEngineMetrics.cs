using Prometheus;

namespace Polydev.Server.Sandboxes;

/// <summary>
/// Engine-level series (<c>polydev_sandbox_engine_*</c>), by engine, operation and outcome. No series
/// carries a user, a sandbox id or an image name. Pool and execution series come with those layers.
/// </summary>
public sealed class SandboxEngineMetrics(CollectorRegistry registry)
{
    public Counter Operations { get; } = registry.Counter(
        "polydev_sandbox_engine_operations_total",
        "Engine operations by engine, operation (create, exec, inspect, destroy, list) and outcome (ok, not_found, refused, denied, unreachable, error).",
        "engine", "operation", "outcome");

    public Histogram Duration { get; } = registry.Histogram(
        "polydev_sandbox_engine_operation_duration_seconds",
        "Time an engine operation took (exec: until the process started), by engine and operation.",
        Histogram.ExponentialBuckets(0.001, 2, 16),
        "engine", "operation");

    public Counter PlacementFailures { get; } = registry.Counter(
        "polydev_sandbox_engine_placement_failures_total",
        "Sandboxes a cluster engine could not place or start, by engine and what ran out: cpu, memory, disk, constraint (no node matched), no_nodes, driver (the task driver failed), other.",
        "engine", "dimension");

    /// <summary>The <c>dimension</c> values of <see cref="PlacementFailures"/>.</summary>
    public static IReadOnlyList<string> PlacementDimensions { get; } = ["cpu", "memory", "disk", "constraint", "no_nodes", "driver", "other"];

    /// <summary>
    /// Makes a cluster engine's placement-failure series at 0, so a rate of them reads 0 rather than nothing before the
    /// first failure (the Nomad dashboard's panel, an alert's increase()).
    /// </summary>
    public void CountPlacementFailuresOf(string engine)
    {
        foreach (var dimension in PlacementDimensions)
        {
            PlacementFailures.WithLabels(engine, dimension);
        }
    }

    public static class OperationNames
    {
        public const string Create = "create";
        public const string Exec = "exec";
        public const string Inspect = "inspect";
        public const string Destroy = "destroy";
        public const string List = "list";
    }

    public static class Outcomes
    {
        public const string Ok = "ok";
        public const string NotFound = "not_found";
        public const string Refused = "refused";
        /// <summary>The engine's access control said no (Nomad's ACL: 401, 403).</summary>
        public const string Denied = "denied";
        public const string Unreachable = "unreachable";
        public const string Error = "error";

        public static string Of(Exception e) => e switch
        {
            SandboxEngineException { IsNotFound: true } => NotFound,
            SandboxEngineException { IsUnreachable: true } => Unreachable,
            SandboxEngineException { Status: 401 or 403 } => Denied,
            SandboxEngineException { Status: >= 400 and < 500 } or ArgumentException => Refused,
            _ => Error,
        };
    }
}
