using System.Text.Json;
using System.Text.Json.Serialization;

namespace Polydev.Server.Sandboxes.Docker.HostOperations;

/// <summary>
/// What the server and <c>polydev docker-helper</c> say to each other over the helper's Unix socket: one request per
/// connection, a JSON object the client ends by shutting down its side, then one JSON response.
/// </summary>
public static class HelperProtocol
{
    /// <summary>A request is a few hundred bytes; anything longer is not one.</summary>
    public const int MaxRequestBytes = 16 * 1024;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The operations, one per method of <see cref="IDockerHostOperations"/>.</summary>
    public static class Operations
    {
        public const string InstallFirewall = "firewall.install";
        public const string RemoveFirewall = "firewall.remove";
        public const string CreateScratch = "scratch.create";
        public const string RemoveScratch = "scratch.remove";
        public const string ListScratch = "scratch.list";
        public const string BlockEmbeddedDns = "dns.block";
        public const string SetCpuBurst = "cpu.burst";
        public const string CountOomKills = "oom.count";

        public static readonly IReadOnlyList<string> All = [InstallFirewall, RemoveFirewall, CreateScratch, RemoveScratch, ListScratch, BlockEmbeddedDns, SetCpuBurst, CountOomKills];
    }
}

/// <summary>One operation and its arguments; only those the operation names are read.</summary>
public sealed class HelperRequest
{
    public string Op { get; set; } = "";

    public DockerSandboxNetworkOptions? Network { get; set; }

    public string? SandboxId { get; set; }

    public long Bytes { get; set; }

    public int Uid { get; set; }

    public int Gid { get; set; }

    public int Pid { get; set; }

    public long Microseconds { get; set; }
}

/// <summary>The outcome: <see cref="Ok"/>, or <see cref="Status"/> (400: refused as asked; 500: failed on the host) and <see cref="Error"/>.</summary>
public sealed class HelperResponse
{
    public bool Ok { get; set; }

    public int Status { get; set; }

    public string? Error { get; set; }

    /// <summary><c>scratch.create</c>: the host directory of the mounted disk.</summary>
    public string? Path { get; set; }

    /// <summary><c>oom.count</c>.</summary>
    public long Count { get; set; }

    /// <summary><c>scratch.list</c>.</summary>
    public List<ScratchDisk>? Disks { get; set; }

    public static HelperResponse Refused(string error) => new() { Status = 400, Error = error };

    public static HelperResponse Failed(string error) => new() { Status = 500, Error = error };
}
