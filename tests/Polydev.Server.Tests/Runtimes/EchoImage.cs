using System.Formats.Tar;
using System.Net.Http.Headers;
using System.Text;
using Polydev.Server.Sandboxes.Docker;
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
    public static async Task BuildAsync()
    {
        await ExecutionHarness.RequireImageAsync();
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            Add(writer, "Dockerfile", $"""
                FROM {ExecutionHarness.Image}
                COPY --chown=0:0 echo-cli {Executable}
                """, "644");
            Add(writer, "echo-cli", Script.Replace("\r", "", StringComparison.Ordinal) + "\n", "755");
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
