using System.Formats.Tar;
using Polydev.Server.Sandboxes.Docker.Images;
using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Tests.Sandboxes.Images;

/// <summary>The build context tar: layout, modes, links kept, hard links sent once, readable by `docker build -`.</summary>
public sealed class RuntimeImageContextTests : IDisposable
{
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("polydev-context-");

    [Fact]
    public async Task The_context_holds_the_dockerfile_the_agent_node_and_the_npm_prefix_with_links()
    {
        var prefix = Path.Combine(_work.FullName, "prefix");
        Write(prefix, "node_modules/pkg/bin/tool.js", "#!/usr/bin/env node\n");
        Write(prefix, "node_modules/pkg/.hidden", "dot file");
        Write(prefix, "node_modules/pkg/bin/native", "big binary");
        Directory.CreateDirectory(Path.Combine(prefix, "node_modules/pkg-linux"));
        await HardLinkAsync(Path.Combine(prefix, "node_modules/pkg/bin/native"), Path.Combine(prefix, "node_modules/pkg-linux/native"));
        Directory.CreateDirectory(Path.Combine(prefix, "node_modules/.bin"));
        File.CreateSymbolicLink(Path.Combine(prefix, "node_modules/.bin/tool"), "../pkg/bin/tool.js");
        var nodeTarget = Write(_work.FullName, "node-pkg/bin/node", "node binary");
        var nodeLink = Path.Combine(_work.FullName, "node-link");
        File.CreateSymbolicLink(nodeLink, nodeTarget);

        var entries = await ReadAsync(new RuntimeImageContext(Write(_work.FullName, "Dockerfile", "FROM x\n"), Write(_work.FullName, "agent", "agent"), nodeLink, prefix));

        Assert.Equal("Dockerfile", entries[0].Name);
        Assert.Equal(TarEntryFormat.Gnu, entries[0].Format);
        Assert.Equal("FROM x\n", entries[0].Content);
        var agent = entries.Single(e => e.Name == "polydev-agent");
        Assert.Equal((UnixFileMode)0b111_101_101, agent.Mode);
        Assert.Equal("agent", agent.Content);
        var node = entries.Single(e => e.Name == "node/node");
        Assert.Equal(TarEntryType.RegularFile, node.Type);
        Assert.Equal("node binary", node.Content);
        Assert.Equal((UnixFileMode)0b111_101_101, node.Mode);

        var tool = entries.Single(e => e.Name == "cli/node_modules/.bin/tool");
        Assert.Equal(TarEntryType.SymbolicLink, tool.Type);
        Assert.Equal("../pkg/bin/tool.js", tool.LinkName);
        Assert.Equal("dot file", entries.Single(e => e.Name == "cli/node_modules/pkg/.hidden").Content);

        // The hard-linked file is sent once (first in name order); its other name links to it.
        var first = entries.Single(e => e.Name == "cli/node_modules/pkg/bin/native");
        var second = entries.Single(e => e.Name == "cli/node_modules/pkg-linux/native");
        Assert.Equal("big binary", first.Content);
        Assert.Equal(TarEntryType.SymbolicLink, second.Type);
        Assert.Equal("../pkg/bin/native", second.LinkName);
        Assert.Single(entries, e => e.Content == "big binary");
    }

    [Fact]
    public async Task Without_node_the_node_directory_is_empty()
    {
        var prefix = Path.Combine(_work.FullName, "prefix");
        Write(prefix, "node_modules/a/claude", "native");

        var entries = await ReadAsync(new RuntimeImageContext(Write(_work.FullName, "Dockerfile", "FROM x\n"), Write(_work.FullName, "agent", "agent"), null, prefix));

        Assert.Contains(entries, e => e.Name == "node/" && e.Type == TarEntryType.Directory);
        Assert.DoesNotContain(entries, e => e.Name.StartsWith("node/", StringComparison.Ordinal) && e.Name != "node/");
        Assert.Equal("native", entries.Single(e => e.Name == "cli/node_modules/a/claude").Content);
    }

    public void Dispose() => _work.Delete(recursive: true);

    private static string Write(string root, string relative, string content)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary><c>ln</c>: .NET 10 has no API for hard links.</summary>
    private static async Task HardLinkAsync(string target, string link)
    {
        using var ln = System.Diagnostics.Process.Start("ln", [target, link]);
        await ln.WaitForExitAsync();
        Assert.Equal(0, ln.ExitCode);
    }

    private sealed record Entry(string Name, TarEntryType Type, TarEntryFormat Format, UnixFileMode Mode, string LinkName, string? Content);

    private static async Task<List<Entry>> ReadAsync(RuntimeImageContext context)
    {
        using var buffer = new MemoryStream();
        await context.WriteToAsync(buffer, CancellationToken.None);
        buffer.Position = 0;
        using var reader = new TarReader(buffer);
        var entries = new List<Entry>();
        while (await reader.GetNextEntryAsync(copyData: true) is { } entry)
        {
            string? content = null;
            if (entry.DataStream is not null)
            {
                using var text = new StreamReader(entry.DataStream);
                content = await text.ReadToEndAsync();
            }

            entries.Add(new Entry(entry.Name, entry.EntryType, entry.Format, entry.Mode, entry.LinkName, content));
        }

        return entries;
    }
}
