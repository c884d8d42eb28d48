using Prometheus;

namespace Polydev.Server.Login.Turn;

/// <summary>The TURN series (<c>polydev_turn_*</c>). None carries a user: TURN user names hold user ids.</summary>
public sealed class TurnMetrics
{
    public TurnMetrics(CollectorRegistry registry)
    {
        ServerUp = registry.Gauge("polydev_turn_server_up", "1 while the embedded TURN server (coturn) runs and accepts connections on its listening port, else 0.");
        ServerMissing = registry.Gauge(
            "polydev_turn_server_missing", "1 when Login:Turn:Mode is embedded but coturn's turnserver binary is not installed (login sessions use the fallback), else 0.");
        Restarts = registry.Counter("polydev_turn_server_restarts_total", "Times the embedded TURN server was started again after it exited or could not start.");
        CredentialsIssued = registry.Counter("polydev_turn_credentials_issued_total", "TURN credentials issued, one per login session (the same for both its ends).");
        Allocations = registry.Counter(
            "polydev_turn_allocations_total",
            "The embedded coturn's answers to allocations, by outcome: ok, unauthorized (wrong or expired credentials), quota, capacity (no relay port left), refused (any other error).",
            "outcome");
        foreach (var outcome in TurnAllocationLine.Outcomes)
        {
            Allocations.WithLabels(outcome);
        }
    }

    public Gauge ServerUp { get; }

    public Gauge ServerMissing { get; }

    public Counter Restarts { get; }

    public Counter CredentialsIssued { get; }

    public Counter Allocations { get; }
}
