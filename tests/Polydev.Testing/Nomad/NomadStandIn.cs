using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Polydev.Testing.Nomad;

/// <summary>
/// A stand-in Nomad cluster for tests: one agent's HTTP API (the subset the Nomad engine uses, with Nomad's paths,
/// status codes, headers, bodies, blocking queries, event stream and allocation exec) in front of a scheduler and
/// client nodes that run each job's Docker task as a real container on the local Docker engine.
/// </summary>
public sealed class NomadStandIn : IAsyncDisposable
{
    public const string Version = "1.10.5";

    private readonly WebApplication _app;
    private readonly Cluster _cluster;
    private readonly ClientNodes _client;
    private readonly DockerApi _docker;
    private readonly bool _ownsDataDirectory;
    private readonly ConcurrentQueue<NomadStandInRequest> _events = new();

    private NomadStandIn(WebApplication app, Cluster cluster, ClientNodes client, DockerApi docker, bool ownsDataDirectory, Uri address)
    {
        _app = app;
        _cluster = cluster;
        _client = client;
        _docker = docker;
        _ownsDataDirectory = ownsDataDirectory;
        Address = address;
    }

    /// <summary>The agent's address, <c>http(s)://127.0.0.1:PORT</c>.</summary>
    public Uri Address { get; }

    /// <summary>Where the allocation directories live.</summary>
    public string DataDirectory => _client.DataDirectory;

    /// <summary>The client nodes as they are now.</summary>
    public IReadOnlyList<NomadStandInNode> Nodes
    {
        get
        {
            lock (_cluster.Gate)
            {
                return [.. _cluster.NodeList.Select(n => n.View())];
            }
        }
    }

    /// <summary>Every request answered so far, oldest first (never a token's value).</summary>
    public IReadOnlyList<NomadStandInRequest> Events => [.. _events];

    /// <summary>The current raft index.</summary>
    public ulong Index
    {
        get
        {
            lock (_cluster.Gate)
            {
                return _cluster.Index;
            }
        }
    }

    public static async Task<NomadStandIn> StartAsync(NomadStandInOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new NomadStandInOptions();
        var owns = options.DataDirectory is null;
        var dataDirectory = options.DataDirectory ?? Directory.CreateTempSubdirectory("polydev-nomad-standin-").FullName;
        NomadTime.Chmod(dataDirectory, (UnixFileMode)Convert.ToInt32("755", 8));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                if (options.ServerCertificate is { } certificate)
                {
                    listen.UseHttps(https =>
                    {
                        https.ServerCertificate = certificate;
                        if (options.ClientCertificateAuthority is { } authority)
                        {
                            https.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
                            https.ClientCertificateValidation = (presented, _, _) => IssuedBy(presented, authority);
                        }
                    });
                }
            });
        });
        builder.Services.AddRouting();
        var app = builder.Build();
        var cluster = new Cluster(options, "");
        var docker = new DockerApi(options.DockerSocket);
        var client = new ClientNodes(cluster, docker, dataDirectory, Guid.NewGuid().ToString("N")[..12]);
        cluster.Client = client;
        var api = new NomadApi(cluster, client);
        NomadStandIn? standIn = null;
        app.UseWebSockets();
        app.Use(async (context, next) =>
        {
            void Record(int status) => standIn?._events.Enqueue(new NomadStandInRequest(DateTimeOffset.UtcNow, context.Request.Method,
                context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "", NomadApi.Token(context.Request) is { Length: > 0 }, status));

            // An exec is a WebSocket that lasts as long as its process (the agent's, as long as the sandbox): it is
            // recorded when its answer starts (101, or the refusal), not when it ends.
            if (context.WebSockets.IsWebSocketRequest)
            {
                context.Response.OnStarting(() =>
                {
                    Record(context.Response.StatusCode);
                    return Task.CompletedTask;
                });
                await next(context);
                return;
            }

            try
            {
                await next(context);
            }
            finally
            {
                Record(context.Response.StatusCode);
            }
        });
        api.Map(app);
        await app.StartAsync(cancellationToken);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(bound).Port;
        var address = new Uri($"{(options.ServerCertificate is null ? "http" : "https")}://127.0.0.1:{port}");
        cluster.Address = address.ToString().TrimEnd('/');
        foreach (var node in options.Nodes)
        {
            cluster.AddNode(node);
        }

        standIn = new NomadStandIn(app, cluster, client, docker, owns, address);
        return standIn;
    }

    private static bool IssuedBy(X509Certificate2 presented, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented);
    }

    /// <summary>The node stops heartbeating: <c>down</c>, its containers killed at once, its allocations <c>lost</c> and replaced elsewhere.</summary>
    public Task LoseNodeAsync(string nodeName) => _cluster.LoseNodeAsync(nodeName);

    /// <summary>The node is back: <c>ready</c> (its eligibility as it was); blocked evaluations are retried.</summary>
    public Task RestoreNodeAsync(string nodeName) => _cluster.RestoreNodeAsync(nodeName);

    /// <summary>The containers (all states) Docker holds for an allocation: <c>name (state)</c>.</summary>
    public async Task<IReadOnlyList<string>> ContainersAsync(string allocId) =>
        [.. (await _docker.ListAsync($"com.hashicorp.nomad.alloc_id={allocId}", $"{ClientNodes.InstanceLabel}={_client.Instance}"))
            .Select(c => $"{((string?)(c["Names"] as JsonArray)?.FirstOrDefault())?.TrimStart('/')} ({(string?)c["State"]})")];

    /// <summary>
    /// What the cluster still holds of a job: its record (unless purged), its live allocations, containers Docker
    /// keeps for it, and allocation directories. Empty when nothing is left. Terminal allocation records are not
    /// traces (Nomad garbage-collects them itself).
    /// </summary>
    public async Task<IReadOnlyList<string>> TracesAsync(string jobId)
    {
        var traces = new List<string>();
        List<string> allocIds;
        lock (_cluster.Gate)
        {
            foreach (var job in _cluster.JobTable.Values.Where(j => j.ID == jobId))
            {
                traces.Add($"job {job.Namespace}/{job.ID} ({job.Status}{(job.Stop ? ", stopped" : "")})");
            }

            var allocs = _cluster.AllocTable.Values.Where(a => a.Job.ID == jobId).ToList();
            traces.AddRange(allocs.Where(a => !a.ClientTerminal).Select(a => $"allocation {a.ID} ({a.ClientStatus}, desired {a.DesiredStatus}) on {a.Node.Name}"));
            allocIds = [.. allocs.Select(a => a.ID)];
        }

        await _client.CollectedAsync(allocIds);

        foreach (var container in await _docker.ListAsync($"com.hashicorp.nomad.job_id={jobId}", $"{ClientNodes.InstanceLabel}={_client.Instance}"))
        {
            traces.Add($"container {((string?)(container["Names"] as JsonArray)?.FirstOrDefault())?.TrimStart('/')} ({(string?)container["State"]})");
        }

        foreach (var id in allocIds.Where(id => Directory.Exists(_client.AllocDir(id))))
        {
            traces.Add($"allocation directory {_client.AllocDir(id)}");
        }

        return traces;
    }

    /// <summary>The allocations of a job as the server holds them (full JSON, as <c>GET /v1/allocation/:id</c> gives).</summary>
    public IReadOnlyList<JsonObject> Allocations(string jobId)
    {
        lock (_cluster.Gate)
        {
            return [.. _cluster.AllocTable.Values.Where(a => a.Job.ID == jobId).OrderBy(a => a.CreateIndex).Select(a => a.Full())];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _client.DisposeAsync();
        _docker.Dispose();
        if (_ownsDataDirectory)
        {
            try
            {
                Directory.Delete(_client.DataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
