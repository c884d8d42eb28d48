namespace Polydev.Server.Tests.Executions;

/// <summary>
/// The Claude Code runtime image plus one script, <c>/usr/local/bin/fault-cli</c>, that the agent runs in place of
/// <c>claude</c> (<c>POLYDEV_AGENT_CLAUDE</c>) to misbehave on demand: a prompt containing <c>hog</c> makes the CLI itself
/// grow past the sandbox's memory limit (tail buffering an endless line). Everything else — image, agent, limits, network — is the real thing.
/// </summary>
public static class FaultImage
{
    public const string Reference = "polydev-test/runtime-faults:2";

    public const string Executable = "/usr/local/bin/fault-cli";

    private const string Script = """
        #!/bin/sh
        prompt=$(cat)
        echo '{"type":"system","subtype":"init","session_id":"fault","model":"fault"}'
        case "$prompt" in
          *hog*) exec tail -n 1 /dev/zero ;;
        esac
        echo '{"type":"result","subtype":"success","is_error":false,"result":"done"}'
        """;

    /// <summary>Builds the image over the current runtime image (quick: one small layer).</summary>
    public static Task BuildAsync() => DerivedImage.BuildAsync(Reference, Executable, Script);
}
