using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Tests.Sandboxes.Images;

/// <summary>The login image's version: readable prefix, 12 hex digits, and a new hash for any changed input.</summary>
public sealed class LoginImageVersionTests
{
    private static readonly LoginImageInputs Inputs = new(
        [
            new CliPin("anthropic", "@anthropic-ai/claude-code", "2.1.332", "claude"),
            new CliPin("openai", "@openai/codex", "0.171.0", "codex"),
            new CliPin("google", "@google/gemini-cli", "0.61.0", "gemini"),
        ],
        "22.23.3",
        ["chromium", "gstreamer1.0-plugins-bad", "xvfb"],
        new string('a', 64),
        new string('b', 64),
        "polydev/debian-base:bookworm@sha256:" + new string('c', 64));

    [Fact]
    public void The_version_is_the_base_tag_and_twelve_hex_digits_and_is_stable_whatever_the_order_of_lists()
    {
        var version = LoginImageVersion.Compute(Inputs);

        Assert.Matches("^bookworm-[0-9a-f]{12}$", version);
        Assert.Equal(version, LoginImageVersion.Compute(Inputs with { Clis = [.. Inputs.Clis.Reverse()], Packages = [.. Inputs.Packages.Reverse()] }));
        Assert.Equal(version, LoginImageVersion.Compute(Inputs with { DockerfileSha256 = new string('A', 64) }));
    }

    public static TheoryData<string, LoginImageInputs> Changed => new()
    {
        { "claude version", Inputs with { Clis = [Inputs.Clis[0] with { Version = "2.1.333" }, Inputs.Clis[1], Inputs.Clis[2]] } },
        { "codex version", Inputs with { Clis = [Inputs.Clis[0], Inputs.Clis[1] with { Version = "0.171.1" }, Inputs.Clis[2]] } },
        { "gemini version", Inputs with { Clis = [Inputs.Clis[0], Inputs.Clis[1], Inputs.Clis[2] with { Version = "0.61.1" }] } },
        { "cli package", Inputs with { Clis = [Inputs.Clis[0] with { Package = "@anthropic-ai/claude-code-fork" }, Inputs.Clis[1], Inputs.Clis[2]] } },
        { "cli executable", Inputs with { Clis = [Inputs.Clis[0], Inputs.Clis[1] with { Executable = "codex2" }, Inputs.Clis[2]] } },
        { "a cli fewer", Inputs with { Clis = [Inputs.Clis[0], Inputs.Clis[1]] } },
        { "node version", Inputs with { NodeVersion = "22.23.4" } },
        { "a package more", Inputs with { Packages = [.. Inputs.Packages, "x11vnc"] } },
        { "a package fewer", Inputs with { Packages = ["chromium", "xvfb"] } },
        { "dockerfile", Inputs with { DockerfileSha256 = new string('d', 64) } },
        { "agent", Inputs with { AgentSha256 = new string('e', 64) } },
        { "base reference", Inputs with { Base = "polydev/debian-base:bookworm" } },
        { "base image id", Inputs with { Base = "polydev/debian-base:bookworm@sha256:" + new string('f', 64) } },
    };

    [Theory]
    [MemberData(nameof(Changed))]
    public void Any_changed_input_changes_the_hash(string input, LoginImageInputs changed)
    {
        var before = LoginImageVersion.Compute(Inputs);
        var after = LoginImageVersion.Compute(changed);

        Assert.True(before[^12..] != after[^12..], $"changing the {input} kept the hash {before[^12..]}");
    }

    [Theory]
    [InlineData("polydev/debian-base:bookworm", "bookworm")]
    [InlineData("polydev/debian-base:bookworm@sha256:0123", "bookworm")]
    [InlineData("debian:bookworm-slim", "bookworm-slim")]
    [InlineData("registry.example:5000/debian", "latest")]
    [InlineData("registry.example:5000/debian:12.5", "12.5")]
    public void The_prefix_is_the_base_images_tag(string baseReference, string prefix)
    {
        Assert.Equal(prefix, LoginImageVersion.BaseTag(baseReference));
        Assert.Matches("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", LoginImageVersion.Compute(Inputs with { Base = baseReference }));
    }

    [Fact]
    public void References_name_the_login_repository_with_the_version_and_latest()
    {
        Assert.Equal("polydev/login:bookworm-0123456789ab", LoginImages.Reference("bookworm-0123456789ab"));
        Assert.Equal("polydev/login:latest", LoginImages.Latest);
    }
}
