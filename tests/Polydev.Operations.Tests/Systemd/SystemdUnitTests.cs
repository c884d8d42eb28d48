namespace Polydev.Operations.Tests.Systemd;

/// <summary>
/// deploy/systemd, loaded by Debian's systemd-analyze as the host will load it: every unit and drop-in passes
/// <c>verify</c>, the server's unit is hardened to an exposure of at most 2.5, and broken copies fail both checks.
/// </summary>
public sealed class SystemdUnitTests
{
    /// <summary>Every unit scripts/deploy may install, with the drop-ins that extend Debian's.</summary>
    public static TheoryData<string> Units => new(
        "polydev.service", "polydev-docker-helper.service", "polydev-docker-helper.socket",
        "coturn.service", "prometheus.service", "prometheus-node-exporter.service", "prometheus-alertmanager.service");

    [Theory]
    [MemberData(nameof(Units))]
    public async Task Systemd_analyze_verify_accepts_the_unit_with_its_drop_ins(string unit)
    {
        using var root = OfflineSystemdRoot.Create();
        var verify = await root.VerifyAsync(unit);
        Assert.True(verify.ExitCode == 0 && verify.Output.Length == 0 && verify.Errors.Length == 0, $"exit {verify.ExitCode}: {verify.Output}{verify.Errors}");
    }

    [Fact]
    public async Task The_server_unit_has_an_exposure_of_at_most_2_5()
    {
        using var root = OfflineSystemdRoot.Create(WithoutDockerEngineDropIn());
        var security = await root.SecurityAsync("polydev.service", 2.5);
        Assert.True(security.ExitCode == 0, security.Output + security.Errors);
        Assert.InRange(OfflineSystemdRoot.Exposure(security), 0, 2.5);
        // The settings the hardening rests on, as systemd reads them (not as the file spells them).
        Assert.Contains("Service runs under a static non-root user identity", security.Output, StringComparison.Ordinal);
        Assert.Contains("Service has strict read-only access to the OS file hierarchy", security.Output, StringComparison.Ordinal);
        Assert.Contains("Service has no administrator privileges", security.Output, StringComparison.Ordinal);
    }

    /// <summary>
    /// With the Docker engine on the host (the shipped default) the server keeps its hardening: the engine's root work is
    /// the Docker helper's, and the drop-in adds only the two sockets.
    /// </summary>
    [Fact]
    public async Task With_the_docker_engine_drop_in_the_server_still_runs_unprivileged_at_an_exposure_of_at_most_2_5()
    {
        using var root = OfflineSystemdRoot.Create();
        var security = await root.SecurityAsync("polydev.service", 2.5);
        Assert.True(security.ExitCode == 0, security.Output + security.Errors);
        var exposure = OfflineSystemdRoot.Exposure(security);
        // The figure the drop-in gives; a change to either shows up here.
        Assert.Equal(1.4, exposure);
        Assert.Contains("Service runs under a static non-root user identity", security.Output, StringComparison.Ordinal);
        Assert.Contains("Service has no administrator privileges", security.Output, StringComparison.Ordinal);
        Assert.Contains("Service has strict read-only access to the OS file hierarchy", security.Output, StringComparison.Ordinal);

        var dropIn = await File.ReadAllTextAsync(Path.Combine(OfflineSystemdRoot.Deployed, "polydev.service.d", "docker-engine.conf"));
        Assert.Contains("Environment=POLYDEV_SANDBOXES__DOCKER__HELPER=/run/polydev-docker-helper.sock", dropIn, StringComparison.Ordinal);
        var socket = await File.ReadAllTextAsync(Path.Combine(OfflineSystemdRoot.Deployed, "polydev-docker-helper.socket"));
        Assert.Contains("ListenStream=/run/polydev-docker-helper.sock", socket, StringComparison.Ordinal);
        Assert.Contains("SocketGroup=polydev", socket, StringComparison.Ordinal);
        Assert.Contains("SocketMode=0660", socket, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_docker_helper_runs_as_root_with_only_what_the_engines_root_work_needs()
    {
        using var root = OfflineSystemdRoot.Create();
        var security = await root.SecurityAsync("polydev-docker-helper.service", 4.4);
        Assert.True(security.ExitCode == 0, security.Output + security.Errors);
        // The figure docs/sandboxes.md gives (the server ran at 5.2 when it did this work itself).
        Assert.Equal(4.4, OfflineSystemdRoot.Exposure(security));
        Assert.Contains("Service runs as root user", security.Output, StringComparison.Ordinal);
        Assert.Contains("Service cannot load kernel modules", security.Output, StringComparison.Ordinal);
        Assert.Contains("Service has no raw I/O access", security.Output, StringComparison.Ordinal);
        Assert.Contains("Service cannot create user namespaces", security.Output, StringComparison.Ordinal);
        Assert.Contains("Service processes cannot acquire new privileges", security.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("coturn.service", 1.5)]
    [InlineData("prometheus.service", 1.5)]
    [InlineData("prometheus-node-exporter.service", 2.0)]
    [InlineData("prometheus-alertmanager.service", 1.5)]
    public async Task The_drop_ins_harden_debians_units(string unit, double threshold)
    {
        using var root = OfflineSystemdRoot.Create();
        var security = await root.SecurityAsync(unit, threshold);
        Assert.True(security.ExitCode == 0, security.Output + security.Errors);

        // Debian's unit as shipped is worse: the drop-in is what makes the difference.
        using var debian = OfflineSystemdRoot.Create(Directory.CreateTempSubdirectory("polydev-systemd-empty-").FullName);
        var shipped = await debian.SecurityAsync(unit, 10);
        Assert.True(OfflineSystemdRoot.Exposure(shipped) > OfflineSystemdRoot.Exposure(security) + 1, shipped.Output.Split('\n')[^2] + " vs " + security.Output.Split('\n')[^2]);
    }

    [Fact]
    public async Task A_missing_executable_or_an_unknown_setting_fails_verify()
    {
        var copy = OfflineSystemdRoot.CopyOfDeployedUnits();
        var unit = Path.Combine(copy, "polydev.service");
        await File.WriteAllTextAsync(unit, (await File.ReadAllTextAsync(unit))
            .Replace("ExecStart=/opt/polydev/current/polydev server", "ExecStart=polydev-typo server", StringComparison.Ordinal));
        using (var root = OfflineSystemdRoot.Create(copy))
        {
            var verify = await root.VerifyAsync("polydev.service");
            Assert.NotEqual(0, verify.ExitCode);
            Assert.Contains("polydev-typo", verify.Output + verify.Errors, StringComparison.Ordinal);
        }

        // A value systemd cannot parse is ignored with a warning and exit code 0: the check counts any output as a failure.
        copy = OfflineSystemdRoot.CopyOfDeployedUnits();
        unit = Path.Combine(copy, "polydev.service");
        await File.WriteAllTextAsync(unit, (await File.ReadAllTextAsync(unit))
            .Replace("ProtectSystem=strict", "ProtectSystem=strcit", StringComparison.Ordinal)
            .Replace("PrivateDevices=yes", "PrivateDevice=yes", StringComparison.Ordinal));
        using (var root = OfflineSystemdRoot.Create(copy))
        {
            var verify = await root.VerifyAsync("polydev.service");
            Assert.Contains("Failed to parse protect system value", verify.Errors, StringComparison.Ordinal);
            Assert.Contains("Unknown key 'PrivateDevice'", verify.Errors, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_server_unit_that_runs_as_root_with_every_capability_fails_the_exposure_check()
    {
        var copy = WithoutDockerEngineDropIn();
        var unit = Path.Combine(copy, "polydev.service");
        await File.WriteAllTextAsync(unit, (await File.ReadAllTextAsync(unit))
            .Replace("User=polydev\n", "", StringComparison.Ordinal)
            .Replace("CapabilityBoundingSet=\n", "", StringComparison.Ordinal));
        using var root = OfflineSystemdRoot.Create(copy);
        var security = await root.SecurityAsync("polydev.service", 2.5);
        Assert.NotEqual(0, security.ExitCode);
        Assert.True(OfflineSystemdRoot.Exposure(security) > 2.5);
    }

    private static string WithoutDockerEngineDropIn()
    {
        var copy = OfflineSystemdRoot.CopyOfDeployedUnits();
        File.Delete(Path.Combine(copy, "polydev.service.d", "docker-engine.conf"));
        return copy;
    }
}
