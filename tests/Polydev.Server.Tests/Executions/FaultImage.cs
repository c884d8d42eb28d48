using System.Formats.Tar;
using System.Net.Http.Headers;
using System.Text;
using Polydev.Server.Sandboxes.Docker;

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
    public static async Task BuildAsync()
    {
        await ExecutionHarness.RequireImageAsync();
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            Add(writer, "Dockerfile", $"""
                FROM {ExecutionHarness.Image}
                COPY --chown=0:0 fault-cli {Executable}
                """, "644");
            Add(writer, "fault-cli", Script.Replace("\r", "", StringComparison.Ordinal) + "\n", "755");
        }

        tar.Position = 0;
        using var docker = new DockerClient();
        var content = new StreamContent(tar);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        var log = new StringBuilder();
        await docker.BuildImageAsync(content, [Reference], new Dictionary<string, string>(), line => log.AppendLine(line));
    }

    private static void Add(TarWriter writer, string name, string text, string mode) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)),
            Mode = (UnixFileMode)Convert.ToInt32(mode, 8),
        });
}
