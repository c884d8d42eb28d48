using System.Globalization;
using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Polydev.Server.Egress;
using Polydev.Server.Egress.Proxy;
using Polydev.Server.Hosting;
using Polydev.Server.Tests.Infrastructure;
using Polydev.Testing;

namespace Polydev.Server.Tests.Egress;

/// <summary>
/// Issue 16: what <c>Egress:HostOverrides</c> accepts, and when a server starts with it: each bad entry stops the start
/// with its name; a Production server (what <c>polydev server</c> is) needs <c>Egress:AllowHostOverrides</c> as well,
/// and then warns with every mapping.
/// </summary>
public sealed class HostOverrideSettingsTests
{
    private const string SignIn = "sign-in.example.test";

    [Theory]
    [InlineData("", "127.0.0.1", "Egress:HostOverrides has an entry with no host name")]
    [InlineData("*.example.test", "127.0.0.1", "Egress:HostOverrides:*.example.test: '*.example.test' is not a host name")]
    [InlineData("claude.ai:443", "127.0.0.1", "Egress:HostOverrides:claude.ai:443: 'claude.ai:443' is not a host name")]
    [InlineData(SignIn, "localhost:8443", $"Egress:HostOverrides:{SignIn}: 'localhost:8443' is not an address")]
    [InlineData(SignIn, "", $"Egress:HostOverrides:{SignIn}: '' is not an address")]
    [InlineData(SignIn, "127.1", $"Egress:HostOverrides:{SignIn}: '127.1' is not an address")]
    [InlineData(SignIn, "::1:8443]", $"Egress:HostOverrides:{SignIn}: '::1:8443]' is not an address")]
    [InlineData(SignIn, "[::1]:", $"Egress:HostOverrides:{SignIn}: '[::1]:' is not an address")]
    [InlineData(SignIn, "[127.0.0.1]:8443", $"Egress:HostOverrides:{SignIn}: '[127.0.0.1]:8443' is not an address")]
    [InlineData(SignIn, "127.0.0.1:https", $"Egress:HostOverrides:{SignIn}: '127.0.0.1:https' is not an address")]
    [InlineData(SignIn, "127.0.0.1:65536", $"Egress:HostOverrides:{SignIn}: port 65536 in '127.0.0.1:65536' is out of range")]
    [InlineData(SignIn, "127.0.0.1:0", $"Egress:HostOverrides:{SignIn}: port 0 in '127.0.0.1:0' is out of range")]
    [InlineData(SignIn, "[::1]:1000000", $"Egress:HostOverrides:{SignIn}: port 1000000 in '[::1]:1000000' is out of range")]
    public async Task Invalid_entries_are_refused_at_start_with_the_entry_named(string host, string value, string message)
    {
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => ProxyHarness.StartAsync(options => options.HostOverrides[host] = value));
        Assert.StartsWith(message, refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Entries_take_ipv4_and_bracketed_ipv6_with_or_without_a_port_and_match_names_exactly_without_regard_to_case()
    {
        var overrides = new HostOverrides(new Dictionary<string, string>
        {
            ["claude.ai"] = "127.0.0.1:8443",
            ["auth.openai.com"] = "127.0.0.2",
            ["accounts.google.com"] = "[::1]:9443",
            ["v6.example.test"] = "[::1]",
            ["bare.example.test"] = "::1",
        });
        Assert.Equal(5, overrides.Count);
        Assert.Equal("127.0.0.1:8443", Get(overrides, "Claude.AI", 443));
        Assert.Equal("127.0.0.2:443", Get(overrides, "auth.openai.com", 443));
        Assert.Equal("127.0.0.2:8080", Get(overrides, "AUTH.OPENAI.COM", 8080));
        Assert.Equal("[::1]:9443", Get(overrides, "accounts.google.com", 443));
        Assert.Equal("[::1]:443", Get(overrides, "v6.example.test", 443));
        Assert.Equal("[::1]:80", Get(overrides, "bare.example.test", 80));

        // Exact names only: no subdomains, parents or wildcards.
        Assert.Null(Get(overrides, "www.claude.ai", 443));
        Assert.Null(Get(overrides, "openai.com", 443));
        Assert.False(overrides.Covers("api.claude.ai"));
        Assert.Equal(
            "accounts.google.com = [::1]:9443; auth.openai.com = 127.0.0.2 (port as requested); bare.example.test = [::1] (port as requested); claude.ai = 127.0.0.1:8443; v6.example.test = [::1] (port as requested)",
            overrides.Describe());

        var twice = Assert.Throws<ArgumentException>(() => new HostOverrides(new Dictionary<string, string> { ["claude.ai"] = "127.0.0.1", ["CLAUDE.ai"] = "127.0.0.2" }));
        Assert.Contains("Egress:HostOverrides:CLAUDE.ai is given twice", twice.Message, StringComparison.Ordinal);
        Assert.Equal(0, new HostOverrides(new EgressOptions().HostOverrides).Count);
    }

    [Fact]
    public void The_production_guard_applies_to_production_only_and_yields_to_AllowHostOverrides()
    {
        var options = new EgressOptions { HostOverrides = { [SignIn] = "127.0.0.1:8443" } };
        EgressOptionsValidation.Validate(options, Environment(Environments.Development));
        var refused = Assert.Throws<ArgumentException>(() => EgressOptionsValidation.Validate(options, Environment(Environments.Production)));
        Assert.Contains("Egress:HostOverrides", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Egress:AllowHostOverrides", refused.Message, StringComparison.Ordinal);

        options.AllowHostOverrides = true;
        EgressOptionsValidation.Validate(options, Environment(Environments.Production));

        // Off by default: nothing to allow.
        EgressOptionsValidation.Validate(new EgressOptions(), Environment(Environments.Production));
    }

    /// <summary><c>polydev server</c> runs as Production: it refuses to start with overrides it was not told to allow.</summary>
    [Fact]
    public async Task A_production_server_with_host_overrides_refuses_to_start_without_AllowHostOverrides()
    {
        var data = Directory.CreateTempSubdirectory("polydev-test-").FullName;
        var first = FreePorts.FindBlock(2);
        var app = PolydevServer.Build(new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Data"] = data,
            ["Accounts:AuthKeyHashIterations"] = "1000",
            ["Egress:FirstPort"] = first.ToString(CultureInfo.InvariantCulture),
            ["Egress:LastPort"] = (first + 1).ToString(CultureInfo.InvariantCulture),
            ["Login:Turn:Mode"] = "off",
            [$"Egress:HostOverrides:{SignIn}"] = "127.0.0.1:8443",
        });
        try
        {
            Assert.True(app.Environment.IsProduction());
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => PolydevServer.StartAsync(app));
            Assert.Contains($"Egress:HostOverrides is set ({SignIn}) but this server runs as Production", refused.Message, StringComparison.Ordinal);
            Assert.Contains("Egress:AllowHostOverrides=true", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            await app.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task A_production_server_starts_with_AllowHostOverrides_and_warns_with_every_mapping()
    {
        await using var server = await RunningServer.StartAsync(RunningServer.Sqlite, new Dictionary<string, string?>
        {
            [$"Egress:HostOverrides:{SignIn}"] = "127.0.0.1:8443",
            ["Egress:HostOverrides:claude.ai"] = "127.0.0.1",
            ["Egress:AllowHostOverrides"] = "true",
        });
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode);
        var warnings = server.Logs.Text.Split('\n').Where(l => l.Contains("egress_host_overrides", StringComparison.Ordinal)).ToList();
        var warning = Assert.Single(warnings);
        Assert.Contains("Warning", warning, StringComparison.Ordinal);
        Assert.Contains($"claude.ai = 127.0.0.1 (port as requested); {SignIn} = 127.0.0.1:8443", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_with_an_invalid_entry_refuses_to_start_even_when_overrides_are_allowed()
    {
        var data = Directory.CreateTempSubdirectory("polydev-test-").FullName;
        var app = PolydevServer.Build(new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Data"] = data,
            ["Login:Turn:Mode"] = "off",
            [$"Egress:HostOverrides:{SignIn}"] = "127.0.0.1:99999",
            ["Egress:AllowHostOverrides"] = "true",
        });
        try
        {
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => PolydevServer.StartAsync(app));
            Assert.Contains($"Egress:HostOverrides:{SignIn}: port 99999 in '127.0.0.1:99999' is out of range", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            await app.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    private static string? Get(HostOverrides overrides, string host, int port) =>
        overrides.TryGet(host, port, out var endpoint) ? endpoint.ToString() : null;

    private static HostingEnvironment Environment(string name) => new() { EnvironmentName = name };
}
