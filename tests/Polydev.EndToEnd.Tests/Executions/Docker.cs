using Polydev.Testing;

namespace Polydev.EndToEnd.Tests.Executions;

/// <summary>The local Docker engine as an operator sees it: the <c>docker</c> command line, nothing of the server's.</summary>
public static class Docker
{
    /// <summary>The label every sandbox carries with the id of the server that owns it.</summary>
    public const string OwnerLabel = "dev.polydev.owner";

    /// <summary>Runs <c>docker</c>; fails the test with its stderr unless it exits 0.</summary>
    public static async Task<string> RunAsync(params string[] arguments)
    {
        var (exitCode, output, errors) = await TryRunAsync(arguments);
        Assert.True(exitCode == 0, $"docker {string.Join(' ', arguments)} exited {exitCode}: {errors}");
        return output;
    }

    public static async Task<(int ExitCode, string Output, string Errors)> TryRunAsync(params string[] arguments)
    {
        var result = await ChildProcess.RunAsync("docker", arguments);
        return (result.ExitCode, result.Output, result.Errors);
    }

    /// <summary>Fails with what to run when a runtime image is missing (scripts/test builds them).</summary>
    public static async Task RequireImageAsync(string image)
    {
        var (exitCode, _, _) = await TryRunAsync("image", "inspect", "--format", "{{.Id}}", image);
        Assert.True(exitCode == 0, $"The runtime image {image} is missing; run scripts/test (it builds the runtime images).");
    }

    /// <summary><c>docker inspect</c> of every container the engine knows, running or not: what an operator could read.</summary>
    public static async Task<string> InspectAllContainersAsync()
    {
        // One at a time: other work on the machine may remove a container between the listing and its inspection.
        var inspected = new System.Text.StringBuilder();
        foreach (var id in Ids(await RunAsync("ps", "-aq")))
        {
            var (exitCode, output, errors) = await TryRunAsync("inspect", id);
            Assert.True(exitCode == 0 || errors.Contains("No such object", StringComparison.Ordinal), $"docker inspect {id}: {errors}");
            inspected.Append(output);
        }

        return inspected.ToString();
    }

    /// <summary>The containers (running or not) labelled as owned by <paramref name="serverId"/>.</summary>
    public static async Task<IReadOnlyList<string>> OwnedContainersAsync(string serverId) =>
        Ids(await RunAsync("ps", "-aq", "--filter", $"label={OwnerLabel}={serverId}"));

    /// <summary>
    /// Whether a sandbox runs a job: its agent opened one, so the job's relay listens on the sandbox's loopback (the
    /// agent's timing relay in front of the egress proxy) and the CLI's tunnel goes out through it. A waiting sandbox has
    /// no TCP socket at all, even with its CLI started ahead (issue 19), which is why its process list no longer tells.
    /// </summary>
    public static async Task<bool> RunsAJobAsync(string id)
    {
        var (exitCode, pid, _) = await TryRunAsync("inspect", "--format", "{{.State.Pid}}", id);
        if (exitCode != 0 || !int.TryParse(pid.Trim(), out var process) || process <= 0)
        {
            return false;
        }

        return await SandboxJobSockets.RunsAJobAsync(process);
    }

    /// <summary>Those of <paramref name="serverId"/>'s running sandboxes whose agent runs a job, as opposed to waiting in the pool.</summary>
    public static async Task<IReadOnlyList<string>> JobContainersAsync(string serverId)
    {
        var jobs = new List<string>();
        foreach (var id in Ids(await RunAsync("ps", "-q", "--filter", $"label={OwnerLabel}={serverId}")))
        {
            if (await RunsAJobAsync(id))
            {
                jobs.Add(id);
            }
        }

        return jobs;
    }

    private static List<string> Ids(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
