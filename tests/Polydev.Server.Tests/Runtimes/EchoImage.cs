using Polydev.Server.Tests.Executions;

namespace Polydev.Server.Tests.Runtimes;

/// <summary>
/// The Claude Code runtime image (the same base, the real agent) plus a tiny CLI, <c>/usr/local/bin/echo-cli</c>, that
/// answers every prompt with <c>echo: {prompt}</c> in Claude Code's stream-json shape. The agent runs it in place of
/// <c>claude</c> (<c>POLYDEV_AGENT_CLAUDE</c>); it needs no network and no credential.
/// </summary>
public static class EchoImage
{
    public const string Reference = "polydev-test/runtime-echo:1";

    public const string Executable = "/usr/local/bin/echo-cli";

    private const string Script = """
        #!/bin/sh
        prompt=$(cat)
        echo '{"type":"system","subtype":"init","session_id":"echo","model":"echo"}'
        printf '{"type":"assistant","message":{"content":[{"type":"text","text":"echo: %s"}]}}\n' "$prompt"
        printf '{"type":"result","subtype":"success","is_error":false,"result":"echo: %s"}\n' "$prompt"
        """;

    /// <summary>Builds the image over the current runtime image (quick: one small layer).</summary>
    public static Task BuildAsync() => DerivedImage.BuildAsync(Reference, Executable, Script);
}
