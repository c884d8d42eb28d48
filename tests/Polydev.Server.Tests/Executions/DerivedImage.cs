using System.Formats.Tar;
using System.Net.Http.Headers;
using System.Text;
using Polydev.Server.Sandboxes.Docker;

namespace Polydev.Server.Tests.Executions;

/// <summary>A test image made of the current Claude Code runtime image plus one executable script (quick: one small layer).</summary>
public static class DerivedImage
{
    public static async Task BuildAsync(string reference, string executable, string script)
    {
        await ExecutionHarness.RequireImageAsync();
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            Add(writer, "Dockerfile", $"""
                FROM {ExecutionHarness.Image}
                COPY --chown=0:0 script {executable}
                """, "644");
            Add(writer, "script", script.Replace("\r", "", StringComparison.Ordinal) + "\n", "755");
        }

        tar.Position = 0;
        using var docker = new DockerClient();
        var content = new StreamContent(tar);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-tar");
        var log = new StringBuilder();
        await docker.BuildImageAsync(content, [reference], new Dictionary<string, string>(), line => log.AppendLine(line));
    }

    private static void Add(TarWriter writer, string name, string text, string mode) =>
        writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)),
            Mode = (UnixFileMode)Convert.ToInt32(mode, 8),
        });
}
