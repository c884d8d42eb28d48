using System.Globalization;
using Polydev.Bench;

// dotnet run -c Release --project bench/Polydev.Bench -- [--only vault|egress|executions|web|docker-client|login|nomad|mcp] [--presses P] [--sessions S] [--fresh F] [--unlocks U] [--messages N] [--parallelism P] [--bytes B] [--page N] [--lists N] [--rounds R]
//     [--download-mib M] [--runs R] [--requests N] [--new-tunnels N] [--tunnels N] [--warm-target W] [--concurrent C] [--max-sandboxes M]
// PostgreSQL is measured when POLYDEV_BENCH_POSTGRES (or POLYDEV_TEST_POSTGRES) names a database
// the bench may write to; scripts/bench starts a throw-away one. The egress part needs Squid
// (scripts/bench installs it). The executions part runs only with --only executions: it needs Docker and the
// Claude Code runtime image (scripts/bench builds it) and takes minutes.
if (args is [EgressProxyHost.Verb, ..])
{
    return await EgressProxyHost.RunAsync();
}

if (args is [DockerClientBenchmark.Verb, _])
{
    return await DockerClientBenchmark.RunChildAsync(args);
}

var only = Option("--only");
if (only is not (null or "vault" or "egress" or "executions" or "web" or "docker-client" or "login" or "nomad" or "mcp"))
{
    Console.Error.WriteLine("--only takes vault, egress, executions, web, docker-client, login, nomad or mcp");
    return 2;
}

var messages = Argument("--messages", 2000);
var parallelism = Argument("--parallelism", 8);
var bytes = Argument("--bytes", 1024);
var postgres = Environment.GetEnvironmentVariable("POLYDEV_BENCH_POSTGRES") ?? Environment.GetEnvironmentVariable("POLYDEV_TEST_POSTGRES");

Console.WriteLine($"Polydev bench, {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
if (only == "egress")
{
    await RunEgressAsync();
    return 0;
}

if (only == "web")
{
    await WebBenchmark.RunAsync(new WebBenchmark.Settings(Argument("--runs", 10), Argument("--unlocks", 10)));
    return 0;
}

if (only == "login")
{
    await LoginBenchmark.RunAsync(new LoginBenchmark.Settings(Argument("--presses", 30), Argument("--sessions", 4)));
    return 0;
}

if (only == "docker-client")
{
    await DockerClientBenchmark.RunAsync(new DockerClientBenchmark.Settings(Argument("--runs", 30), Argument("--fresh", 5)));
    return 0;
}

if (only == "nomad")
{
    await NomadBenchmark.RunAsync(Argument("--runs", 15));
    return 0;
}

if (only == "mcp")
{
    var warmTarget = Argument("--warm-target", 2);
    await McpBenchmark.RunAsync(Argument("--runs", 5), warmTarget, Argument("--max-sandboxes", warmTarget + 2));
    return 0;
}

if (only == "executions")
{
    string[] bare = Option("--bare") is { } list ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(p => p != "none").ToArray() : ["anthropic", "openai", "google"];
    await ExecutionBenchmark.RunAsync(new ExecutionBenchmark.Settings(Argument("--runs", 15), Argument("--warm-target", 3), Argument("--concurrent", 128), bare));
    return 0;
}

var vault = new VaultBenchmark.Settings(messages, parallelism, bytes, Argument("--page", 50), Argument("--lists", Math.Max(messages / 3, 1)), Argument("--rounds", 10));
Console.WriteLine($"vault: {messages} messages of {bytes} B plaintext appended and read, {vault.Lists} lists of {vault.PageSize}, {parallelism} concurrent clients, {vault.Rounds} interleaved rounds");
Console.WriteLine("API: the real server; floor: a bare minimal endpoint with the same SQL and JSON, no auth; raw: the same SQL in process. alloc and CPU are the bench process's (client and server) per operation.");
Console.WriteLine();
Console.WriteLine("| operation | path | ops | ops/s | p50 ms | p99 ms | alloc KiB/op | CPU ms/op | API/floor | API/raw |");
Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");

var engines = new List<(string Name, string? Connection)> { ("sqlite", null) };
if (!string.IsNullOrEmpty(postgres))
{
    engines.Add(("postgres", postgres));
}
else
{
    Console.Error.WriteLine("PostgreSQL skipped: set POLYDEV_BENCH_POSTGRES to include it.");
}

var warmUps = new List<string>();
foreach (var (name, connection) in engines)
{
    var run = await VaultBenchmark.RunAsync(name, connection, vault);
    warmUps.Add($"{name}: warm-up {run.WarmUp.Rounds} rounds in {run.WarmUp.Elapsed.TotalSeconds:0} s (last round compiled {run.WarmUp.LastRoundJitted} methods), {run.JittedWhileMeasured} compiled while measured");
    foreach (var comparison in run.Comparisons)
    {
        VaultRow(comparison.Operation, comparison.Api, Ratio(comparison.Api, comparison.Floor), Ratio(comparison.Api, comparison.Raw));
        VaultRow(comparison.Operation, comparison.Floor, "", "");
        VaultRow(comparison.Operation, comparison.Raw, "", "");
    }
}

Console.WriteLine();
warmUps.ForEach(Console.WriteLine);
Console.WriteLine();
Console.WriteLine("| client | ops | ops/s | p50 ms | p99 ms | MB/s |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
var unlock = ClientBenchmark.Unlock(5);
ClientRow(unlock, 0);
foreach (var size in new[] { 1024, 64 * 1024, 1024 * 1024 })
{
    var (seal, open) = ClientBenchmark.Envelopes(size);
    ClientRow(seal, size);
    ClientRow(open, size);
}

if (only is null)
{
    Console.WriteLine();
    await RunEgressAsync();
}

return 0;

Task RunEgressAsync() => EgressBenchmark.RunAsync(new EgressBenchmark.Settings(
    Argument("--download-mib", 256), Argument("--runs", 5), Argument("--requests", 1000), Argument("--new-tunnels", 300), Argument("--tunnels", 1000)));

string? Option(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

static string Ratio(VaultBenchmark.PathResult api, VaultBenchmark.PathResult baseline) =>
    (api.Latencies.PerSecond / baseline.Latencies.PerSecond).ToString("0.00", CultureInfo.InvariantCulture);

static void VaultRow(string operation, VaultBenchmark.PathResult result, string vsFloor, string vsRaw)
{
    var l = result.Latencies;
    var path = l.Name[(l.Name.LastIndexOf(": ", StringComparison.Ordinal) + 2)..];
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {operation} | {path} | {l.Count} | {l.PerSecond:0} | {l.Percentile(50):0.00} | {l.Percentile(99):0.00} | {result.AllocatedKiBPerOp:0.0} | {result.CpuMsPerOp:0.000} | {vsFloor} | {vsRaw} |"));
}

static void ClientRow(Latencies l, int bytes) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {l.Name} | {l.Count} | {l.PerSecond:0.0} | {l.Percentile(50):0.000} | {l.Percentile(99):0.000} | {(bytes == 0 ? "" : (l.PerSecond * bytes / 1e6).ToString("0", CultureInfo.InvariantCulture))} |"));

int Argument(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
}
