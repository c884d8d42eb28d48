using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Polydev.Server.Pools;
using Polydev.Server.Runtimes;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Images;
using Polydev.Server.Storage;

namespace Polydev.Server.Tests.Pools;

/// <summary>
/// <c>polydev_sandboxes_unaccounted{runtime}</c>, which the leak alert reads: what the once-a-minute sweep finds on the
/// engine under this server's id that no pool accounts for, counted before it is destroyed.
/// </summary>
public sealed class UnaccountedSandboxesTests
{
    private const string ServerId = "test-unaccounted";

    [Fact]
    public async Task The_sweep_counts_what_no_pool_accounts_for_by_kind_spares_the_young_and_keeps_counting_what_it_cannot_destroy()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var engine = new ListedEngine();
        engine.Add("leaked-claude", "claude", clock.GetUtcNow().AddMinutes(-5));
        engine.Add("young-codex", "codex", clock.GetUtcNow().AddSeconds(-5));
        await using var provider = await ComposeAsync(engine, clock);
        var health = provider.GetRequiredService<PoolHealthChecker>();
        var metrics = provider.GetRequiredService<PoolMetrics>();

        await health.RunIfDueAsync(CancellationToken.None);
        Assert.Equal(1, metrics.Unaccounted.WithLabels("claude").Value);
        Assert.Equal(0, metrics.Unaccounted.WithLabels("codex").Value);
        Assert.Equal(0, metrics.Unaccounted.WithLabels("gemini").Value);
        Assert.Equal(["leaked-claude"], engine.Destroyed);
        Assert.Equal(1, metrics.Cleanups.WithLabels("claude", "orphan").Value);
        provider.GetRequiredService<SandboxPools>().UpdateGauges();
        Assert.Equal(2, metrics.WarmTarget.WithLabels("claude").Value);

        // A minute on, the destroyed one is gone, and the young one is old enough to be an orphan, but the engine
        // refuses to destroy it: it is found again at every sweep.
        engine.RefuseDestroy = true;
        clock.Advance(TimeSpan.FromSeconds(61));
        await health.RunIfDueAsync(CancellationToken.None);
        Assert.Equal(0, metrics.Unaccounted.WithLabels("claude").Value);
        Assert.Equal(1, metrics.Unaccounted.WithLabels("codex").Value);
        clock.Advance(TimeSpan.FromSeconds(61));
        await health.RunIfDueAsync(CancellationToken.None);
        Assert.Equal(1, metrics.Unaccounted.WithLabels("codex").Value);

        engine.RefuseDestroy = false;
        clock.Advance(TimeSpan.FromSeconds(61));
        await health.RunIfDueAsync(CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(61));
        await health.RunIfDueAsync(CancellationToken.None);
        Assert.Equal(0, metrics.Unaccounted.WithLabels("codex").Value);
        Assert.Equal(["leaked-claude", "young-codex"], engine.Destroyed);
    }

    /// <summary>The pools' health pass as <c>AddPools</c> composes it, on a migrated SQLite database and a listed engine.</summary>
    private static async Task<ServiceProvider> ComposeAsync(ListedEngine engine, TimeProvider clock)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(clock);
        services.AddStorage(null, Directory.CreateTempSubdirectory("polydev-unaccounted-").FullName);
        services.AddBuiltInRuntimeKinds();
        services.Configure<SandboxesOptions>(o =>
        {
            o.ServerId = ServerId;
            o.Runtimes["claude"] = new RuntimeKindOptions { WarmTarget = 2 };
        });
        services.AddSingleton<ISandboxEngine>(engine);
        services.AddSingleton<IRuntimeImageCatalog>(new OneVersionCatalog());
        services.AddSingleton(new PoolMetrics(Prometheus.Metrics.NewCustomRegistry()));
        services.AddSingleton<RuntimeContainerStore>();
        services.AddSingleton<SandboxPools>();
        services.AddSingleton<SandboxRetirer>();
        services.AddSingleton<PoolHealthChecker>();
        var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<Migrator>().MigrateAsync();
        return provider;
    }

    /// <summary>An engine that only lists and destroys: the sandboxes it was given, under this test's server id.</summary>
    private sealed class ListedEngine : ISandboxEngine
    {
        private readonly List<SandboxInfo> _sandboxes = [];

        public string Name => "listed";

        public bool RefuseDestroy { get; set; }

        public List<string> Destroyed { get; } = [];

        public void Add(string id, string runtime, DateTimeOffset createdAt) =>
            _sandboxes.Add(new SandboxInfo(new SandboxHandle(id, id, id), runtime, "v1", ServerId, SandboxEngineState.Running, createdAt, new Dictionary<string, string>()));

        public Task<IReadOnlyList<SandboxInfo>> ListOwnedAsync(string ownerServerId, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<SandboxInfo>>(_sandboxes.Where(s => s.OwnerServerId == ownerServerId).ToList());

        public Task DestroyAsync(SandboxHandle sandbox, CancellationToken cancellationToken = default)
        {
            if (RefuseDestroy)
            {
                throw new SandboxEngineException("listed", "destroy", 500, "the engine refused");
            }

            _sandboxes.RemoveAll(s => s.Handle.Id == sandbox.Id);
            Destroyed.Add(sandbox.Id);
            return Task.CompletedTask;
        }

        public Task<SandboxHandle> CreateAsync(SandboxSpec spec, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<SandboxProcess> ExecAsync(SandboxHandle sandbox, SandboxCommand command, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<SandboxStatus?> InspectAsync(SandboxHandle sandbox, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    private sealed class OneVersionCatalog : IRuntimeImageCatalog
    {
        public Task<string?> ResolveVersionAsync(string image, CancellationToken cancellationToken = default) => Task.FromResult<string?>("v1");

        public Task<IReadOnlyList<RuntimeImageInfo>> ListAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public Task<IReadOnlyList<RuntimeImageOutcome>> BuildAsync(RuntimeImageBuildRequest request, Action<string> progress, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();
    }
}
