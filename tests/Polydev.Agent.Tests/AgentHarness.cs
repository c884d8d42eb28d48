using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Polydev.Crypto;

namespace Polydev.Agent.Tests;

/// <summary>A sandbox stand-in: a temporary HOME, the agent run as a real process, fake CLI scripts.</summary>
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

    public string KeyPath => Path.Combine(Home, ".polydev-agent", "key");

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

    public async Task<AgentResult> RunAsync(byte[] stdin, string[] args, Func<Process, Task>? whileRunning = null)
    {
        using Process process = Process.Start(StartInfo(args))!;
        Task<byte[]> stdout = ReadAllAsync(process.StandardOutput.BaseStream);
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.StandardInput.BaseStream.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The agent refused before reading stdin.
        }

        if (whileRunning is not null)
        {
            await whileRunning(process);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new AgentResult(process.ExitCode, await stdout, await stderr);
    }

    public async Task<string> KeygenAsync()
    {
        AgentResult result = await RunAsync([], ["keygen"]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return Encoding.ASCII.GetString(result.Stdout).Trim();
    }

    public static byte[] Frame(byte[] sealedJob)
    {
        var framed = new byte[4 + sealedJob.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed, (uint)sealedJob.Length);
        sealedJob.CopyTo(framed, 4);
        return framed;
    }

    public static byte[] SealJob(string publicKeyBase64, JsonObject job) =>
        Frame(SealedBox.Seal(Convert.FromBase64String(publicKeyBase64), Encoding.UTF8.GetBytes(job.ToJsonString()), "execution.job"));

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

internal sealed record AgentResult(int ExitCode, byte[] Stdout, string Stderr);
