using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Polydev.EndToEnd.Tests.Infrastructure;
using Polydev.Testing;

namespace Polydev.EndToEnd.Tests.Executions;

/// <summary>
/// The deployment's shape on one host (deploy/systemd): `polydev server` as an ordinary user with no capability, no
/// way to gain one and only the docker group, and `polydev docker-helper` as root doing the engine's root work on its
/// socket. A run of the real Claude Code works end to end, and each piece of root work is shown done, by the helper.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed partial class UnprivilegedServerTests
{
    /// <summary>Debian's nobody and nogroup: an account with nothing of its own on this host.</summary>
    private const int Nobody = 65534;

    [Fact]
    public async Task A_server_without_privileges_runs_sandboxes_through_the_docker_helper()
    {
        var dockerGroup = await GroupIdAsync("docker");
        var directory = Directory.CreateTempSubdirectory("polydev-e2e-unprivileged-").FullName;
        var data = Path.Combine(directory, "data");
        var socket = Path.Combine(directory, "docker-helper.sock");
        Directory.CreateDirectory(data);
        Must(await ChildProcess.RunAsync("chmod", "755", directory));
        Must(await ChildProcess.RunAsync("chown", $"{Nobody}:{Nobody}", data));

        await using var provider = await ProviderUnderTest.StartAsync("anthropic");
        var serverId = SandboxedServer.NewServerId();
        var egressPort = ServerProcess.FreePort();
        var helperUrl = $"http://127.0.0.1:{ServerProcess.FreePort()}";
        // The helper reads the server's settings (here: its environment) and admits the network they describe.
        var settings = SandboxedServer.Settings(serverId, egressPort);
        settings["POLYDEV_LOGIN__TURN__MODE"] = "off";
        using var helper = Process.Start(PolydevProcess.StartInfo(["docker-helper", "--socket", socket, "--urls", helperUrl], settings))!;
        var helperLog = new System.Text.StringBuilder();
        helper.OutputDataReceived += (_, e) => { lock (helperLog) { helperLog.AppendLine(e.Data); } };
        helper.ErrorDataReceived += (_, e) => { lock (helperLog) { helperLog.AppendLine(e.Data); } };
        helper.BeginOutputReadLine();
        helper.BeginErrorReadLine();
        try
        {
            await WaitForAsync(() => File.Exists(socket) || helper.HasExited, () => "the helper never made its socket:\n" + helperLog);
            Assert.False(helper.HasExited, "the helper exited:\n" + helperLog);
            // What the socket unit does (SocketGroup=polydev, SocketMode=0660), done by hand for this helper.
            Must(await ChildProcess.RunAsync("chgrp", Nobody.ToString(CultureInfo.InvariantCulture), socket));

            string[] runAs =
            [
                "setpriv", $"--reuid={Nobody}", $"--regid={Nobody}", $"--groups={dockerGroup}",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
            ];
            await using var server = await SandboxedServer.StartAsync(["anthropic"], serverId, egressPort, data, moreSettings: new Dictionary<string, string?>
            {
                ["POLYDEV_SANDBOXES__DOCKER__HELPER"] = socket,
                ["HOME"] = data,
            }, runAs: runAs);

            // The server as the kernel has it: nobody, no capability in any set, no way to gain one.
            var status = await File.ReadAllTextAsync($"/proc/{server.Pid}/status");
            Assert.Matches($@"(?m)^Uid:\s+{Nobody}\s+{Nobody}\s+{Nobody}\s+{Nobody}$", status);
            Assert.Matches(@"(?m)^CapEff:\s+0+$", status);
            Assert.Matches(@"(?m)^CapBnd:\s+0+$", status);
            Assert.Matches(@"(?m)^NoNewPrivs:\s+1$", status);

            using var cli = new Cli(server.Url);
            await cli.SignupAsync($"unprivileged-{Guid.NewGuid():N}@example.com", Needles.Canary("password"));
            (await cli.RunAsync(["credentials", "add", "anthropic", "--base-url", provider.BaseUrl, "--ca-file", provider.Stub.AuthorityPemPath], stdin: Needles.Canary("key"))).Succeeded();
            await SandboxedServer.WaitForReadyAsync(server, "anthropic", TimeSpan.FromSeconds(90));
            var run = await cli.RunAsync(["run", "--provider", "anthropic", "-"], stdin: "Say hello.");
            Assert.True(run.ExitCode == 0, $"{run.Stdout}\n{run.Stderr}\n{server.Logs}\nhelper:\n{helperLog}");
            Assert.Contains(provider.Stub.Answer, run.Stdout, StringComparison.Ordinal);

            // Each piece of root work was the helper's, asked by the server and served without a refusal.
            using var http = new HttpClient();
            var served = await http.GetStringAsync(helperUrl + "/metrics");
            var asked = await server.GetAsync("/metrics");
            foreach (var operation in (string[])["firewall.install", "scratch.create", "dns.block", "cpu.burst", "oom.count"])
            {
                Assert.True(Count(served, "polydev_docker_helper_served_requests_total", operation, "ok") >= 1, $"{operation} not served\n{served}");
                Assert.True(Count(asked, "polydev_docker_helper_client_requests_total", operation, "ok") >= 1, $"{operation} not asked\n{asked}");
            }

            Assert.DoesNotMatch(@"polydev_docker_helper_served_requests_total\{[^}]*outcome=""(refused|failed)""[^}]*\} [1-9]", served);

            // And it is in place: the waiting sandbox's own namespace rejects Docker's resolver, its scratch disk is mounted.
            var sandbox = (await Docker.OwnedContainersAsync(serverId))[0];
            var pid = (await Docker.RunAsync("inspect", "--format", "{{.State.Pid}}", sandbox)).Trim();
            var rules = await ChildProcess.RunAsync("nsenter", "--target", pid, "--net", "--", "iptables", "-w", "-S", "OUTPUT");
            Assert.Contains("-d 127.0.0.11/32 -j REJECT", rules.Output, StringComparison.Ordinal);
            var mounts = await Docker.RunAsync("exec", sandbox, "cat", "/proc/mounts");
            Assert.Matches(@"(?m)^/dev/loop\d+ /tmp ext4 rw,nosuid,nodev", mounts);
        }
        finally
        {
            await PolydevProcess.StopAsync(helper);
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void Must(ChildProcess.Result result) => Assert.True(result.ExitCode == 0, result.Output + result.Errors);

    private static async Task<int> GroupIdAsync(string name)
    {
        var entry = await ChildProcess.RunAsync("getent", "group", name);
        Assert.True(entry.ExitCode == 0, $"no group {name} on this host: scripts/lib/docker.sh installs docker.io, which makes it");
        return int.Parse(entry.Output.Split(':')[2], CultureInfo.InvariantCulture);
    }

    private static async Task WaitForAsync(Func<bool> condition, Func<string> why)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, why());
            await Task.Delay(100);
        }
    }

    private static double Count(string metrics, string name, string operation, string outcome)
    {
        var match = Regex.Match(metrics, $@"(?m)^{name}\{{operation=""{Regex.Escape(operation)}"",outcome=""{outcome}""\}} (\S+)$");
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }
}
