using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Tests.Sandboxes.Images;

public sealed class RuntimeImageVersionTests
{
    private static readonly RuntimeImageInputs Inputs = new(
        new CliPin("google", "@google/gemini-cli", "0.61.0", "gemini"),
        "22.23.3",
        new string('a', 64),
        new string('b', 64),
        "polydev/debian-base:bookworm@sha256:" + new string('c', 64));

    [Fact]
    public void The_version_is_the_cli_version_and_twelve_hex_digits_and_is_stable()
    {
        var version = RuntimeImageVersion.Compute(Inputs);

        Assert.Matches("^0\\.61\\.0-[0-9a-f]{12}$", version);
        Assert.Equal(version, RuntimeImageVersion.Compute(Inputs with { }));
        Assert.Equal(version, RuntimeImageVersion.Compute(Inputs with { DockerfileSha256 = new string('A', 64) }));
    }

    public static TheoryData<string, RuntimeImageInputs> Changed => new()
    {
        { "cli version", Inputs with { Cli = Inputs.Cli with { Version = "0.61.1" } } },
        { "package", Inputs with { Cli = Inputs.Cli with { Package = "@google/gemini-cli-fork" } } },
        { "executable", Inputs with { Cli = Inputs.Cli with { Executable = "gemini2" } } },
        { "provider", Inputs with { Cli = Inputs.Cli with { Provider = "google2" } } },
        { "node version", Inputs with { NodeVersion = "22.23.4" } },
        { "no node", Inputs with { NodeVersion = null } },
        { "dockerfile", Inputs with { DockerfileSha256 = new string('d', 64) } },
        { "agent", Inputs with { AgentSha256 = new string('e', 64) } },
        { "base reference", Inputs with { Base = "debian:bookworm-slim" } },
        { "base image id", Inputs with { Base = "polydev/debian-base:bookworm@sha256:" + new string('f', 64) } },
    };

    [Theory]
    [MemberData(nameof(Changed))]
    public void Any_changed_input_changes_the_hash(string input, RuntimeImageInputs changed)
    {
        var before = RuntimeImageVersion.Compute(Inputs);
        var after = RuntimeImageVersion.Compute(changed);

        Assert.True(before[^12..] != after[^12..], $"changing the {input} kept the hash {before[^12..]}");
    }

    [Fact]
    public void A_build_metadata_plus_becomes_a_tag_safe_character()
    {
        var version = RuntimeImageVersion.Compute(Inputs with { Cli = Inputs.Cli with { Version = "1.2.3-rc.1" } });
        Assert.StartsWith("1.2.3-rc.1-", version);
        Assert.Matches("^[A-Za-z0-9_.-]{1,128}$", version);
    }

    [Fact]
    public void References_name_the_provider_repository_with_the_version_and_latest()
    {
        Assert.Equal("polydev/runtime-openai:0.171.0-0123456789ab", RuntimeImages.Reference("openai", "0.171.0-0123456789ab"));
        Assert.Equal("polydev/runtime-openai:latest", RuntimeImages.Latest("openai"));
    }
}
