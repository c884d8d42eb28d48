using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Docker.DotNet;
using PolydevDockerClient = Polydev.Server.Sandboxes.Docker.DockerClient;
using Docker.DotNet.Models;

namespace Polydev.Bench;

/// <summary>
/// Polydev's own Engine API client against Docker.DotNet.Enhanced, the maintained library the issue asked us to
/// weigh (docs/architecture.md, "The Docker client"). Both run the cold-sandbox cycle the pools depend on: create and
/// start a container, exec a process with stdin attached, write to it, half-close stdin, read the demultiplexed
/// output to its end, remove the container. Measured twice: in a fresh process each time (the first cycle, JIT and
/// connection set-up included: what a server start or a cold allocation after start pays), and warm in one process
/// (p50/p99 of many cycles). Also the bytes each adds to the published server.
/// </summary>
internal static class DockerClientBenchmark
{
    /// <summary>The hidden verb of a child process that runs one cycle with one client and prints its timing.</summary>
    public const string Verb = "docker-client-cycle";

    private const string Socket = "/var/run/docker.sock";
    private const string Image = "polydev/debian-base:bookworm";
    private static readonly byte[] Payload = Encoding.ASCII.GetBytes("polydev bench\n");

    public sealed record Settings(int Runs, int FreshProcesses);

    public static async Task RunAsync(Settings settings)
    {
        Console.WriteLine($"docker client: the cold-sandbox cycle ({Image}), {settings.FreshProcesses} fresh processes and {settings.Runs} warm cycles per client");
        Console.WriteLine();
        Console.WriteLine("| client | fresh process: first cycle p50 ms | fresh: process start to done p50 ms | warm cycle p50 ms | warm p99 ms | vs polydev (warm p50) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        var results = new List<(string Client, double FirstCycle, double FreshTotal, Latencies Warm)>();
        foreach (var client in new[] { "polydev", "docker.dotnet" })
        {
            var first = new List<double>();
            var total = new List<double>();
            for (var i = 0; i < settings.FreshProcesses; i++)
            {
                var (cycle, wall) = await RunChildAsync(client);
                first.Add(cycle);
                total.Add(wall);
            }

            var warm = new Latencies(client);
            await CycleAsync(client, 3, null);
            await CycleAsync(client, settings.Runs, warm);
            results.Add((client, Median(first), Median(total), warm));
        }

        var baseline = results[0].Warm.Percentile(50);
        foreach (var (client, firstCycle, freshTotal, warm) in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {client} | {firstCycle:0.0} | {freshTotal:0.0} | {warm.Percentile(50):0.0} | {warm.Percentile(99):0.0} | {warm.Percentile(50) / baseline:0.00} |"));
        }

        var library = Directory.GetFiles(AppContext.BaseDirectory, "Docker.DotNet*.dll").Sum(f => new FileInfo(f).Length);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Docker.DotNet.Enhanced adds {library / 1024.0:0} KiB of assemblies to a publish ({Directory.GetFiles(AppContext.BaseDirectory, "Docker.DotNet*.dll").Length} files); Polydev's client is part of polydev.Server.dll."));
    }

    /// <summary>Entry of the child process: one cycle, then prints the cycle's milliseconds.</summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        var started = Stopwatch.GetTimestamp();
        await CycleOnceAsync(args[1]);
        Console.WriteLine(Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("0.000", CultureInfo.InvariantCulture));
        return 0;
    }

    private static async Task<(double Cycle, double Wall)> RunChildAsync(string client)
    {
        var started = Stopwatch.GetTimestamp();
        var start = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true };
        start.ArgumentList.Add(typeof(DockerClientBenchmark).Assembly.Location);
        start.ArgumentList.Add(Verb);
        start.ArgumentList.Add(client);
        if (!Environment.ProcessPath!.EndsWith("dotnet", StringComparison.Ordinal))
        {
            start.ArgumentList.RemoveAt(0);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var wall = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"the {client} cycle process failed ({process.ExitCode})");
        }

        return (double.Parse(output.Trim(), CultureInfo.InvariantCulture), wall);
    }

    private static async Task CycleAsync(string client, int runs, Latencies? latencies)
    {
        for (var i = 0; i < runs; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await CycleOnceAsync(client);
            latencies?.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    private static Task CycleOnceAsync(string client) => client switch
    {
        "polydev" => PolydevCycleAsync(),
        "docker.dotnet" => LibraryCycleAsync(),
        _ => throw new ArgumentException($"unknown client {client}"),
    };

    private static async Task PolydevCycleAsync()
    {
        using var docker = new PolydevDockerClient(Socket);
        var id = await docker.CreateContainerAsync($"polydev-bench-{Guid.NewGuid():N}", new JsonObject
        {
            ["Image"] = Image,
            ["Cmd"] = new JsonArray("sleep", "60"),
            ["Labels"] = new JsonObject { ["dev.polydev.bench"] = "docker-client" },
        });
        try
        {
            await docker.StartContainerAsync(id);
            var exec = await docker.CreateExecAsync(id, new JsonObject
            {
                ["AttachStdin"] = true,
                ["AttachStdout"] = true,
                ["AttachStderr"] = true,
                ["Tty"] = false,
                ["Cmd"] = new JsonArray("cat"),
            });
            var (socket, leftover) = await docker.StartExecHijackedAsync(exec);
            using (socket)
            {
                await socket.SendAsync(Payload, SocketFlags.None);
                socket.Shutdown(SocketShutdown.Send);
                Check(await ReadMultiplexedAsync(socket, leftover));
            }
        }
        finally
        {
            await docker.RemoveContainerAsync(id);
        }
    }

    private static async Task LibraryCycleAsync()
    {
        using var docker = new DockerClientBuilder().WithEndpoint(new Uri($"unix://{Socket}")).Build();
        var created = await docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = $"polydev-bench-{Guid.NewGuid():N}",
            Image = Image,
            Cmd = ["sleep", "60"],
            Labels = new Dictionary<string, string> { ["dev.polydev.bench"] = "docker-client" },
        });
        try
        {
            await docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
            var exec = await docker.Exec.CreateContainerExecAsync(created.ID, new ContainerExecCreateParameters
            {
                AttachStdin = true,
                AttachStdout = true,
                AttachStderr = true,
                Cmd = ["cat"],
            });
            using var stream = await docker.Exec.StartContainerExecAsync(exec.ID, new ContainerExecStartParameters());
            await stream.WriteAsync(Payload, 0, Payload.Length, CancellationToken.None);
            stream.CloseWrite();
            var (stdout, _) = await stream.ReadOutputToEndAsync(CancellationToken.None);
            Check(Encoding.ASCII.GetBytes(stdout));
        }
        finally
        {
            await docker.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true });
        }
    }

    /// <summary>Stdout of a non-TTY exec: frames of <c>[stream, 0, 0, 0, size BE]</c> and the payload.</summary>
    private static async Task<byte[]> ReadMultiplexedAsync(Socket socket, byte[] leftover)
    {
        using var raw = new MemoryStream();
        raw.Write(leftover);
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            raw.Write(buffer, 0, read);
        }

        var bytes = raw.ToArray();
        using var stdout = new MemoryStream();
        for (var at = 0; at + 8 <= bytes.Length;)
        {
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at + 4));
            if (bytes[at] == 1)
            {
                stdout.Write(bytes, at + 8, size);
            }

            at += 8 + size;
        }

        return stdout.ToArray();
    }

    private static void Check(byte[] echoed)
    {
        if (!echoed.AsSpan().SequenceEqual(Payload))
        {
            throw new InvalidOperationException($"the exec echoed {echoed.Length} bytes, not the {Payload.Length} written");
        }
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
