using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Polydev.Agent.Protocol;
using Polydev.Crypto;

namespace Polydev.Agent.Tests;

/// <summary>A sandbox stand-in: a temporary HOME, the agent run as a real process speaking the channel, fake CLI scripts.</summary>
internal sealed class AgentHarness : IDisposable
{
    public AgentHarness(string? agentCommand = null)
    {
        Home = Directory.CreateTempSubdirectory("polydev-agent-test-").FullName;
        AgentCommand = agentCommand;
    }

    public string Home { get; }

    /// <summary>The native binary, or null for <c>dotnet polydev-agent.dll</c>.</summary>
    public string? AgentCommand { get; }

    public Dictionary<string, string> Environment { get; } = [];

    public static string AgentDll => Path.Combine(AppContext.BaseDirectory, "polydev-agent.dll");

    /// <summary>Writes an executable bash script and returns its path.</summary>
    public string WriteScript(string name, string body)
    {
        string path = Path.Combine(Home, "bin", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "#!/usr/bin/env bash\nset -u\n" + body.ReplaceLineEndings("\n"));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    public ProcessStartInfo StartInfo(params string[] args)
    {
        var start = new ProcessStartInfo(AgentCommand ?? "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Home,
        };
        if (AgentCommand is null)
        {
            start.ArgumentList.Add(AgentDll);
        }

        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["HOME"] = Home;
        start.Environment.Remove("POLYDEV_AGENT_KEY");
        foreach ((string key, string value) in Environment)
        {
            start.Environment[key] = value;
        }

        return start;
    }

    /// <summary>
    /// Starts <c>polydev-agent serve</c>, reads its hello, seals <paramref name="job"/> to the hello's key (or to
    /// <paramref name="sealTo"/>), sends it (after <paramref name="jobAfter"/>: a warm sandbox waiting) and reads the
    /// channel to its end, as the server does.
    /// </summary>
    public async Task<AgentResult> RunAsync(JsonObject job, Func<Process, Task>? whileRunning = null, byte[]? sealTo = null, string[]? serveArgs = null, TimeSpan jobAfter = default, Action? beforeJob = null)
    {
        using Process process = Process.Start(StartInfo(["serve", .. serveArgs ?? []]))!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        var reader = new AgentFrameReader(process.StandardOutput.BaseStream, "agent");
        using var writer = new AgentFrameWriter(process.StandardInput.BaseStream);
        AgentFrame? first = await reader.ReadAsync();
        if (first is not { Type: AgentFrameType.Hello })
        {
            Assert.Fail($"the agent's first frame is a {first?.Type}, not a hello: {await stderr}");
        }

        AgentHello hello = AgentHello.Decode(first!.Payload);
        if (jobAfter > TimeSpan.Zero)
        {
            await Task.Delay(jobAfter);
        }

        beforeJob?.Invoke();
        await writer.WriteAsync(AgentFrameType.Job, Seal(sealTo ?? hello.PublicKey, job));

        Task<AgentResult> result = ReadToEndAsync(process, reader, first, stderr);
        if (whileRunning is not null)
        {
            await whileRunning(process);
        }

        return await result;
    }

    /// <summary>Starts <c>polydev-agent serve</c>, reads its hello, then closes stdin (after <paramref name="beforeClose"/>): the agent ends, abandoned.</summary>
    public async Task<AgentHello> HelloAsync(string[]? serveArgs = null, Func<Task>? beforeClose = null)
    {
        using Process process = Process.Start(StartInfo(["serve", .. serveArgs ?? []]))!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        var reader = new AgentFrameReader(process.StandardOutput.BaseStream, "agent");
        AgentFrame? first = await reader.ReadAsync();
        if (first is not { Type: AgentFrameType.Hello })
        {
            Assert.Fail($"the agent's first frame is a {first?.Type}, not a hello: {await stderr}");
        }

        if (beforeClose is not null)
        {
            await beforeClose();
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        Assert.Equal((int)AgentExitReason.Abandoned, process.ExitCode);
        return AgentHello.Decode(first!.Payload);
    }

    /// <summary>Reads the channel to its exit frame and the process to its exit; the output frames become one output stream.</summary>
    public static async Task<AgentResult> ReadToEndAsync(Process process, AgentFrameReader reader, AgentFrame hello, Task<string> stderr)
    {
        var output = new MemoryStream();
        var raw = new MemoryStream();
        raw.Write(AgentFrameWriter.Encode(hello.Type, hello.Payload));
        int heartbeats = 0;
        AgentExit? exit = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await reader.ReadAsync(timeout.Token) is { } frame)
        {
                Assert.Null(exit); // nothing after the exit frame
            raw.Write(AgentFrameWriter.Encode(frame.Type, frame.Payload));
            switch (frame.Type)
            {
                case AgentFrameType.Output:
                    await OutputStream.WriteFrameAsync(output, frame.Payload);
                    break;
                case AgentFrameType.Heartbeat:
                    heartbeats++;
                    break;
                case AgentFrameType.Exit:
                    exit = AgentExit.Decode(frame.Payload);
                    break;
                default:
                    Assert.Fail($"the agent sent a {frame.Type} frame");
                    break;
            }
        }

        process.StandardInput.Close();
        await process.WaitForExitAsync(timeout.Token);
        if (exit is null)
        {
            Assert.Fail($"the agent ended without an exit frame (status {process.ExitCode}): {await stderr}");
        }

        Assert.Equal(exit.ExitStatus, process.ExitCode);
        return new AgentResult(process.ExitCode, exit.Reason, output.ToArray(), await stderr, raw.ToArray(), AgentHello.Decode(hello.Payload), heartbeats, exit.Phases);
    }

    public static byte[] Seal(byte[] publicKey, JsonObject job) =>
        SealedBox.Seal(publicKey, Encoding.UTF8.GetBytes(job.ToJsonString()), "execution.job");

    public static JsonObject Job(string provider, string credentialType, string credential, string prompt, byte[] outputKey, string? proxyUrl = null,
        int? timeLimitSeconds = null, long? maxOutputBytes = null, string? model = null, string? caBundle = null)
    {
        var options = new JsonObject();
        if (model is not null) options["model"] = model;
        if (timeLimitSeconds is not null) options["timeLimitSeconds"] = timeLimitSeconds;
        if (maxOutputBytes is not null) options["maxOutputBytes"] = maxOutputBytes;
        var job = new JsonObject
        {
            ["version"] = 1,
            ["provider"] = provider,
            ["credential"] = new JsonObject { ["type"] = credentialType, ["value"] = credential },
            ["prompt"] = prompt,
            ["options"] = options,
            ["outputKey"] = Convert.ToBase64String(outputKey),
        };
        if (proxyUrl is not null) job["proxyUrl"] = proxyUrl;
        if (caBundle is not null) job["caBundle"] = caBundle;
        return job;
    }

    public static async Task<List<JsonObject>> DecryptAsync(byte[] stdout, byte[] outputKey)
    {
        using var reader = new OutputStreamReader(new MemoryStream(stdout), outputKey);
        IReadOnlyList<OutputChunk> chunks = await reader.ReadAllAsync();
        Assert.True(chunks[^1].IsFinal);
        var events = chunks.Select(c => JsonNode.Parse(c.Plaintext)!.AsObject()).ToList();

        // Every opened job starts with the agent's own "accepted" event; the tests look at what follows it.
        Assert.Equal("accepted", (string?)events[0]["type"]);
        Assert.False(string.IsNullOrEmpty((string?)events[0]["provider"]));
        return events[1..];
    }

    /// <summary>
    /// Takes the exit event's <c>timings</c> (issue 19) out of <paramref name="events"/> and returns them, so that the
    /// rest compares exactly; a test that cares about the phases asserts on what this returns.
    /// </summary>
    public static JsonObject TakeTimings(List<JsonObject> events)
    {
        JsonObject exit = events[^1];
        Assert.Equal("exit", (string?)exit["type"]);
        JsonObject timings = Assert.IsType<JsonObject>(exit["timings"]);
        exit.Remove("timings");
        return timings;
    }

    public static string Secret(string label) => $"{label}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12))}";

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <param name="ExitCode">The agent process's exit status.</param>
/// <param name="Reason">The exit frame's reason.</param>
/// <param name="Stdout">The output frames, as one length-prefixed output stream (docs/crypto.md).</param>
/// <param name="Raw">Every frame the agent wrote to stdout, as it wrote them.</param>
/// <param name="Phases">The exit frame's phases of the job (cleartext metadata for the server's metrics).</param>
internal sealed record AgentResult(int ExitCode, AgentExitReason Reason, byte[] Stdout, string Stderr, byte[] Raw, AgentHello Hello, int Heartbeats, AgentPhases? Phases = null);
