using System.Text.Json.Nodes;
using Polydev.Server.Sandboxes;
using Polydev.Server.Sandboxes.Nomad;

namespace Polydev.Server.Tests.Sandboxes.Nomad;

/// <summary>
/// The job the Nomad engine submits for a sandbox: every rule of <see cref="SandboxLimits"/> on its Docker driver or
/// resources field, the labels as job meta, placement only where the egress gateway runs, and no restart or
/// reschedule. (That Nomad's Docker driver enforces them is the conformance suite's job, against the stand-in.)
/// </summary>
public sealed class NomadJobSpecTests
{
    private static readonly NomadEngineOptions Options = new() { Constraints = ["${node.class} = sandbox"], NodePool = "sandboxes", Region = "eu" };

    private static SandboxSpec Spec() => new("polydev/runtime-anthropic:1.4.0", "claude", "v7", "server-a")
    {
        Id = "0123456789abcdef0123456789abcdef",
        Environment = new Dictionary<string, string> { ["POLYDEV_X"] = "1" },
        Command = ["/usr/local/bin/polydev-agent", "idle"],
        Limits = SandboxLimits.Default with { MemoryBytes = 768L << 20, Cpus = 0.5, PidsLimit = 300, ScratchBytes = 256L << 20, User = "1900000000:1900000000" },
        Network = new SandboxNetwork("polydev-sandboxes"),
    };

    [Fact]
    public void Every_rule_is_on_its_field_and_the_limits_are_hard()
    {
        var job = NomadJobSpec.Job(Spec(), Options, cpuMhzPerCore: 2400);
        Assert.Equal("polydev-sandbox-0123456789abcdef0123456789abcdef", (string?)job["ID"]);
        Assert.Equal("batch", (string?)job["Type"]);
        Assert.Equal("eu", (string?)job["Region"]);
        Assert.Equal("sandboxes", (string?)job["NodePool"]);
        var group = job["TaskGroups"]![0]!;
        Assert.Equal(0, (int)group["RestartPolicy"]!["Attempts"]!);
        Assert.Equal("fail", (string?)group["RestartPolicy"]!["Mode"]);
        Assert.Equal(0, (int)group["ReschedulePolicy"]!["Attempts"]!);
        Assert.False((bool)group["ReschedulePolicy"]!["Unlimited"]!);

        var task = group["Tasks"]![0]!;
        Assert.Equal("docker", (string?)task["Driver"]);
        Assert.Equal("1900000000:1900000000", (string?)task["User"]);
        Assert.True((bool)task["LogConfig"]!["Disabled"]!);
        var config = task["Config"]!;
        Assert.True((bool)config["readonly_rootfs"]!);
        Assert.Equal(["ALL"], config["cap_drop"]!.AsArray().Select(c => (string?)c));
        Assert.Equal(["no-new-privileges:true"], config["security_opt"]!.AsArray().Select(c => (string?)c));
        Assert.Equal(300, (int)config["pids_limit"]!);
        Assert.Equal("polydev-sandboxes", (string?)config["network_mode"]);
        Assert.False((bool)config["privileged"]!);
        Assert.True((bool)config["cpu_hard_limit"]!);
        Assert.Equal("none", (string?)config["logging"]!["type"]);
        Assert.Equal("/usr/local/bin/polydev-agent", (string?)config["command"]);
        Assert.Equal(["idle"], config["args"]!.AsArray().Select(a => (string?)a));
        var mounts = config["mount"]!.AsArray().Select(m => ((string?)m!["type"], (string?)m["target"], (long)m["tmpfs_options"]!["size"]!)).ToList();
        Assert.Equal([("tmpfs", "/home/sandbox", 256L << 20), ("tmpfs", "/tmp", 256L << 20)], mounts);

        // Half a core of a 2400 MHz core is 1200 MHz; memory in MiB with memory_max equal, so no oversubscription.
        var resources = task["Resources"]!;
        Assert.Equal(1200, (int)resources["CPU"]!);
        Assert.Equal(768, (long)resources["MemoryMB"]!);
        Assert.Equal(768, (long)resources["MemoryMaxMB"]!);

        Assert.Equal("1", (string?)task["Env"]!["POLYDEV_X"]);
        Assert.Equal("/home/sandbox", (string?)task["Env"]!["HOME"]);
        var service = task["Services"]![0]!;
        Assert.Equal(("nomad", "driver"), ((string?)service["Provider"], (string?)service["AddressMode"]));
    }

    [Theory]
    [InlineData("polydev/runtime-anthropic:latest", "polydev/runtime-anthropic:v7")]
    [InlineData("registry.example:5000/polydev/runtime-anthropic", "registry.example:5000/polydev/runtime-anthropic:v7")]
    [InlineData("registry.example:5000/polydev/runtime-anthropic:latest", "registry.example:5000/polydev/runtime-anthropic:v7")]
    [InlineData("polydev/runtime-anthropic:1.4.0", "polydev/runtime-anthropic:1.4.0")]
    [InlineData("polydev/runtime-anthropic@sha256:0123", "polydev/runtime-anthropic@sha256:0123")]
    public void A_latest_image_is_pinned_to_the_version_the_pool_serves_since_Nomad_pulls_latest_on_every_start(string image, string submitted)
    {
        var job = NomadJobSpec.Job(Spec() with { Image = image }, Options, 2000);
        Assert.Equal(submitted, (string?)job["TaskGroups"]![0]!["Tasks"]![0]!["Config"]!["image"]);
    }

    [Fact]
    public void The_labels_are_job_meta_and_placement_needs_the_gateway()
    {
        var job = NomadJobSpec.Job(Spec(), Options, 2000);
        var meta = job["Meta"]!.AsObject().ToDictionary(p => p.Key, p => (string?)p.Value);
        Assert.Equal("claude", meta[SandboxLabels.Runtime]);
        Assert.Equal("v7", meta[SandboxLabels.ImageVersion]);
        Assert.Equal("server-a", meta[SandboxLabels.Owner]);
        Assert.Equal("0123456789abcdef0123456789abcdef", meta[SandboxLabels.Id]);
        Assert.Equal("warming", meta[SandboxLabels.State]);
        var constraints = job["Constraints"]!.AsArray().Select(c => ((string?)c!["LTarget"], (string?)c["Operand"], (string?)c["RTarget"])).ToList();
        Assert.Contains(("${meta.polydev_egress}", "=", "ready"), constraints);
        Assert.Contains(("${node.class}", "=", "sandbox"), constraints);

        // Without a network: no interface but loopback, no gateway needed, no service to register.
        var isolated = NomadJobSpec.Job(Spec() with { Network = SandboxNetwork.None }, Options, 2000);
        Assert.Equal("none", (string?)isolated["TaskGroups"]![0]!["Tasks"]![0]!["Config"]!["network_mode"]);
        Assert.DoesNotContain(isolated["Constraints"]!.AsArray(), c => ((string?)c!["LTarget"])!.Contains("polydev_egress", StringComparison.Ordinal));
        Assert.Null(isolated["TaskGroups"]![0]!["Tasks"]![0]!["Services"]);
    }

    [Fact]
    public void A_spec_that_would_weaken_a_rule_is_refused()
    {
        var spec = Spec();
        foreach (var weakened in new[]
        {
            spec.Limits with { User = "0:0" },
            spec.Limits with { ReadOnlyRoot = false },
            spec.Limits with { NoNewPrivileges = false },
            spec.Limits with { Capabilities = ["NET_ADMIN"] },
            spec.Limits with { PidsLimit = 0 },
        })
        {
            Assert.Throws<ArgumentException>(() => NomadJobSpec.Job(spec with { Limits = weakened }, Options, 2000));
        }
    }

    [Fact]
    public void An_execs_environment_and_directory_are_applied_inside_since_Nomads_exec_takes_neither()
    {
        var plain = new SandboxCommand(["/bin/busybox", "pwd"]);
        Assert.Equal(["/bin/busybox", "pwd"], NomadExecCommand.Of(plain));
        var full = plain with { Environment = new Dictionary<string, string> { ["A"] = "b c; $(reboot)" }, WorkingDirectory = "/tmp" };
        var line = NomadExecCommand.Of(full);
        Assert.Equal(["/bin/sh", "-c"], line.Take(2));
        // The values are arguments of the script, never part of it.
        Assert.Equal(["sh", "/tmp", "A=b c; $(reboot)", "--", "/bin/busybox", "pwd"], line.Skip(3));
        Assert.DoesNotContain("reboot", line[2], StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => NomadExecCommand.Of(plain with { Environment = new Dictionary<string, string> { ["--"] = "x" } }));
    }

    [Theory]
    [InlineData("${node.class} = sandbox", true)]
    [InlineData("${attr.cpu.numcores} >= 4", true)]
    [InlineData("${meta.gpu} is_set", true)]
    [InlineData("${node.class} sandbox", false)]
    [InlineData("${node.class} ~ sandbox", false)]
    public void Constraints_in_settings_are_checked_at_start(string text, bool valid)
    {
        var options = new NomadEngineOptions { Constraints = [text] };
        if (valid)
        {
            options.Validate();
        }
        else
        {
            Assert.Contains("Sandboxes:Nomad:Constraints", Assert.Throws<InvalidOperationException>(options.Validate).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_server_with_a_bad_Nomad_setting_does_not_start_and_names_it()
    {
        await using var app = Polydev.Server.Hosting.PolydevServer.Build(new Dictionary<string, string?>
        {
            ["Sandboxes:Engine"] = "nomad",
            ["Sandboxes:Nomad:Address"] = "nomad.example:4646",
            ["Urls"] = "http://127.0.0.1:0",
            ["Data"] = Path.Combine(Path.GetTempPath(), "polydev-nomad-" + Guid.NewGuid().ToString("N")),
        });
        var e = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());
        Assert.Contains("Sandboxes:Nomad:Address must be an http:// or https:// URL", e.Message, StringComparison.Ordinal);
    }
}
