using Prometheus;

namespace Polydev.Server.Observability;

/// <summary>
/// The server's own Prometheus series. No series carries a user, e-mail or record label:
/// metrics may leave the operator's hands, so they count events, never identify people.
/// </summary>
public sealed class PolydevMetrics
{
    public PolydevMetrics(CollectorRegistry registry)
    {
        Registry = registry;

        BuildInfo = registry.Gauge("polydev_build_info", "Always 1; labels carry the running version.", "version");
        BuildInfo.WithLabels(typeof(PolydevMetrics).Assembly.GetName().Version?.ToString() ?? "0").Set(1);

        AccountsCreated = registry.Counter("polydev_accounts_created_total", "Accounts signed up.");
        AccountsDeleted = registry.Counter("polydev_accounts_deleted_total", "Accounts deleted with all their rows.");
        Logins = registry.Counter("polydev_logins_total", "Login attempts by outcome.", "outcome");
        Recoveries = registry.Counter("polydev_recoveries_total", "Recovery-code attempts by step and outcome.", "step", "outcome");
        PasswordChanges = registry.Counter("polydev_password_changes_total", "Passwords changed (userKey re-wrapped).");
        KeyRotations = registry.Counter(
            "polydev_key_rotations_total", "Key rotations by why (recovery: forced after a reset; password: with a password change; requested) and outcome.", "reason", "outcome");
        KeyRotationRecords = registry.Counter("polydev_key_rotation_records_total", "Vault records re-sealed by key rotations that were stored.");
        TokensIssued = registry.Counter("polydev_tokens_issued_total", "Bearer tokens issued by kind.", "kind");
        TokensRevoked = registry.Counter("polydev_tokens_revoked_total", "Bearer tokens revoked by kind.", "kind");
        AuthenticationFailures = registry.Counter("polydev_authentication_failures_total", "Requests whose bearer token was refused, by reason.", "reason");
        VaultWrites = registry.Counter("polydev_vault_writes_total", "Vault records written, by record type and operation.", "record", "operation");
        VaultReads = registry.Counter("polydev_vault_reads_total", "Vault records returned, by record type.", "record");
        RequestsRejected = registry.Counter("polydev_requests_rejected_total", "Requests refused with a 4xx status (nothing changed), by reason.", "reason");
        // At 0 from the start, so a rate of refusals reads 0 on a server that has refused nothing yet.
        foreach (var reason in RequestObserver.RefusalReasons)
        {
            RequestsRejected.WithLabels(reason);
        }

        HttpRequestDuration = registry.Histogram(
            "http_request_duration_seconds", "HTTP requests by method (known ones; the rest are OTHER), route template and status.",
            Histogram.ExponentialBuckets(0.001, 2, 16), "method", "endpoint", "code");
        HttpRequestsReceived = registry.Counter(
            "http_requests_received_total", "HTTP requests by method (known ones; the rest are OTHER), route template and status.", "method", "endpoint", "code");
    }

    public CollectorRegistry Registry { get; }

    public Gauge BuildInfo { get; }

    public Counter AccountsCreated { get; }

    public Counter AccountsDeleted { get; }

    public Counter Logins { get; }

    public Counter Recoveries { get; }

    public Counter PasswordChanges { get; }

    public Counter KeyRotations { get; }

    public Counter KeyRotationRecords { get; }

    public Counter TokensIssued { get; }

    public Counter TokensRevoked { get; }

    public Counter AuthenticationFailures { get; }

    public Counter VaultWrites { get; }

    public Counter VaultReads { get; }

    public Counter RequestsRejected { get; }

    public Histogram HttpRequestDuration { get; }

    public Counter HttpRequestsReceived { get; }
}
