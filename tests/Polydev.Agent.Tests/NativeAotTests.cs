using System.Diagnostics;
using System.Security.Cryptography;
using Xunit.Abstractions;

namespace Polydev.Agent.Tests;

/// <summary>
/// Checks the agent's NativeAOT binary: it is small, starts fast and runs a job end to end. Under scripts/test that is
/// the binary the runtime images carry (<c>POLYDEV_TEST_AGENT_AOT</c>, which scripts/lib/images.sh published from these
/// sources moments before and refused on any IL warning); without it the test publishes one itself, in a copy of the
/// sources so it never touches the build's obj/ folders (30 to 60 s, most of it the native compile; needs clang).
/// </summary>
public sealed class NativeAotTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_NativeAOT_binary_is_small_starts_fast_and_runs_a_job()
    {
        string? published = Environment.GetEnvironmentVariable("POLYDEV_TEST_AGENT_AOT");
        string work = Directory.CreateTempSubdirectory("polydev-agent-aot-").FullName;
        try
        {
            string binary = string.IsNullOrEmpty(published) ? await PublishAsync(work) : published;
            Assert.True(File.Exists(binary), $"no agent binary at {binary}");
            long size = new FileInfo(binary).Length;

            var starts = new List<double>();
            for (int i = 0; i < 7; i++)
            {
                using var fresh = new AgentHarness(binary);
                var start = Stopwatch.StartNew();
                await fresh.HelloAsync();
                starts.Add(start.Elapsed.TotalMilliseconds);
            }

            starts.Sort();
            double median = starts[starts.Count / 2];
            output.WriteLine($"{binary}: {size / 1024.0 / 1024.0:F2} MiB; start-to-hello wall time median {median:F1} ms (min {starts[0]:F1}, max {starts[^1]:F1})");
            Assert.InRange(size, 1, 20L << 20);
            Assert.True(median < 150, $"native start to hello took {median:F1} ms (median)");

            using var sandbox = new AgentHarness(binary);
            sandbox.Environment["POLYDEV_AGENT_CLAUDE"] = sandbox.WriteScript("claude", "cat > /dev/null\ncat <<'JSONL'\n" + FakeClis.ClaudeStream + "\nJSONL\n");
            byte[] outputKey = RandomNumberGenerator.GetBytes(32);
            AgentResult result = await sandbox.RunAsync(
                AgentHarness.Job("anthropic", "api_key", "sk-x", "hi", outputKey, "http://t@127.0.0.1:1"));
            Assert.True(result.ExitCode == 0, result.Stderr);
            var events = await AgentHarness.DecryptAsync(result.Stdout, outputKey);
            AgentHarness.TakeTimings(events);
            Assert.Equal(FakeClis.ClaudeEvents, events.Select(e => e.ToJsonString()));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Publishes the agent and the projects it references (as scripts/lib/images.sh does) into <paramref name="work"/>.</summary>
    private async Task<string> PublishAsync(string work)
    {
        string repo = RepositoryRoot();
        foreach (string file in (string[])["Directory.Build.props", "Directory.Packages.props", "global.json"])
        {
            File.Copy(Path.Combine(repo, file), Path.Combine(work, file));
        }

        foreach (string project in (string[])["Polydev.Agent", "Polydev.Agent.Protocol", "Polydev.Crypto", "Polydev.Contracts"])
        {
            CopySources(Path.Combine(repo, "src", project), Path.Combine(work, "src", project));
        }

        string publish = Path.Combine(work, "publish");
        var clock = Stopwatch.StartNew();
        (int code, string log) = await RunAsync("dotnet", ["publish", Path.Combine(work, "src", "Polydev.Agent"), "-c", "Release", "-r", "linux-x64", "-o", publish, "-nologo"]);
        output.WriteLine($"NativeAOT publish {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(code == 0, log);
        Assert.DoesNotContain("warning IL", log);
        return Path.Combine(publish, "polydev-agent");
    }

    private static void CopySources(string from, string to)
    {
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(from, file);
            if (relative.StartsWith("bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                || relative.StartsWith("obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                continue;
            }

            string target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Polydev.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Could not find the repository root (Polydev.slnx).");
    }

    private static async Task<(int Code, string Output)> RunAsync(string command, string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
