using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Docker;
using Polydev.Server.Sandboxes.Docker.HostOperations;
using Polydev.Testing;

namespace Polydev.Server.Tests.Sandboxes.Conformance;

/// <summary>
/// <see cref="DockerSandboxEngine"/> on the real daemon (scripts/test starts it) for the conformance suite: the busybox
/// test image imported once per run, a sandbox network of the class's own (its own name, bridge, subnet, egress port
/// range and iptables chain, all removed at the end), and what is left of a sandbox asked of the daemon
/// (<c>docker ps -a</c>) and the host (the scratch disk under <see cref="DockerScratch.DefaultRoot"/>).
/// </summary>
public class DockerEngineUnderTest : SandboxEngineUnderTest
{
    // A port range of the test's own, below the ephemeral range: the "egress" listener takes a port in it.
    private const int FirstPort = 24001;
    private const int LastPort = 24999;

    private static readonly SemaphoreSlim ImageGate = new(1, 1);
    private static bool _imageReady;

    private readonly OutsideServices _outside = new(SandboxTestImage.Reference);
    private readonly Dictionary<string, List<string>> _volumes = [];
    private DockerSandboxNetwork _network = null!;
    private IDockerHostOperations _host = null!;

    /// <summary>One client for every engine instance of the test run (it holds nothing but the socket's path).</summary>
    public static DockerClient Client { get; } = new();

    /// <summary>The Docker-only view of <see cref="Network"/>: its options and firewall rules.</summary>
    public DockerSandboxNetwork SandboxNetwork => _network;

    public override string Image => SandboxTestImage.Reference;

    public override SandboxNetwork Network => _network.Network;

    public override IPAddress EgressAddress => _network.Options.Gateway;

    public override (int First, int Last) EgressPorts => (FirstPort, LastPort);

    /// <summary>A Docker engine as the server makes it (<see cref="CreateEngine"/>), for tests that need no network of their own.</summary>
    public static ISandboxEngine NewEngine(SandboxEngineMetrics metrics, ILoggerFactory loggers) =>
        new DockerSandboxEngine(Client, metrics, loggers.CreateLogger<DockerSandboxEngine>());

    public override ISandboxEngine CreateEngine(SandboxEngineMetrics metrics, ILoggerFactory loggers) =>
        new DockerSandboxEngine(Client, metrics, loggers.CreateLogger<DockerSandboxEngine>(), _host);

    /// <summary>Where the engine's root work is done for a network of these options: in the test process by default.</summary>
    protected virtual Task<IDockerHostOperations> HostForAsync(DockerSandboxNetworkOptions network) =>
        Task.FromResult<IDockerHostOperations>(new LocalHostOperations());

    public override async Task InitializeAsync()
    {
        await EnsureImageAsync();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        for (var attempt = 1; ; attempt++)
        {
            var options = new DockerSandboxNetworkOptions(
                Name: "polydev-test-" + suffix,
                BridgeName: "pdt-" + suffix,
                Subnet: $"10.{200 + Random.Shared.Next(50)}.{Random.Shared.Next(256)}.0/24",
                EgressFirstPort: FirstPort,
                EgressLastPort: LastPort);
            _host = await HostForAsync(options);
            _network = new DockerSandboxNetwork(Client, options, _host);
            try
            {
                await _network.EnsureAsync();
                return;
            }
            catch (SandboxEngineException e) when (attempt < 5 && e.Detail.Contains("overlap", StringComparison.OrdinalIgnoreCase))
            {
                // Another test's network took that subnet: draw again.
            }
        }
    }

    /// <summary>Imports <see cref="SandboxTestImage"/> unless the daemon has it; once per test run.</summary>
    public static async Task EnsureImageAsync()
    {
        if (!await Client.PingAsync())
        {
            throw new InvalidOperationException($"No Docker engine answers on {DockerClient.DefaultSocket}. Run the tests through scripts/test, which installs docker.io and starts dockerd (scripts/lib/docker.sh).");
        }

        await ImageGate.WaitAsync();
        try
        {
            if (!_imageReady && await Client.InspectImageAsync(SandboxTestImage.Reference) is null)
            {
                using var tarball = SandboxTestImage.BuildTarball();
                await Client.ImportImageAsync(tarball, SandboxTestImage.Repository, SandboxTestImage.Tag);
            }

            _imageReady = true;
        }
        finally
        {
            ImageGate.Release();
        }
    }

    public override Task<IPEndPoint> StartOutsideServiceAsync(string name) => _outside.StartAsync(name);

    public override async Task<IReadOnlyList<string>> TracesAsync(string sandboxId)
    {
        var traces = new List<string>();
        var containers = (await DockerAsync("ps", "-a", "-q", "--no-trunc", "--filter", $"label={SandboxLabels.Id}={sandboxId}"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var container in containers)
        {
            traces.Add("container " + container);

            // Its volumes, remembered: once the container is gone only the name finds them.
            var volumes = await DockerAsync("inspect", "-f", "{{range .Mounts}}{{if eq .Type \"volume\"}}{{.Name}} {{end}}{{end}}", container);
            _volumes[sandboxId] = [.. volumes.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        }

        foreach (var volume in _volumes.GetValueOrDefault(sandboxId, []))
        {
            if ((await DockerCliAsync("volume", "inspect", volume)).Exit == 0)
            {
                traces.Add("volume " + volume);
            }
        }

        var scratch = Path.Combine(DockerScratch.DefaultRoot, sandboxId);
        if (Directory.Exists(scratch))
        {
            traces.Add("scratch directory " + scratch);
        }

        if ((await File.ReadAllTextAsync("/proc/self/mounts")).Contains(scratch + "/", StringComparison.Ordinal))
        {
            traces.Add("scratch mount " + scratch);
        }

        return traces;
    }

    public override async Task DisposeAsync()
    {
        await _outside.DisposeAsync();

        if (_network is not null)
        {
            await _network.RemoveAsync();
        }
    }

    /// <summary>Runs the <c>docker</c> CLI; returns its output, throws when it fails.</summary>
    public static async Task<string> DockerAsync(params string[] arguments)
    {
        var (exit, output, error) = await DockerCliAsync(arguments);
        return exit == 0 ? output : throw new InvalidOperationException($"docker {string.Join(' ', arguments)} exited {exit}: {error}");
    }

    public static async Task<(int Exit, string Output, string Error)> DockerCliAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
