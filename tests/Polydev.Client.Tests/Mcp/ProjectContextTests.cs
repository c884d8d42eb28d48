using Polydev.Client.Mcp;

namespace Polydev.Client.Tests.Mcp;

public sealed class ProjectContextTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("polydev-context-").FullName;

    [Fact]
    public void Text_named_files_and_matched_files_follow_the_prompt_with_their_paths()
    {
        Write("src/app.cs", "class App {}");
        Write("src/lib/util.cs", "static class Util {}");
        Write("README.md", "# readme");
        var prompt = ProjectContext.Attach("Why?", new ProjectContext { RootPath = _root, Text = "the error log", Files = ["README.md"], Includes = ["src/**/*.cs"] });

        Assert.StartsWith("Why?\n\n<project_context>\n<context>\nthe error log\n</context>\n", prompt, StringComparison.Ordinal);
        Assert.Contains("<file path=\"README.md\">\n# readme\n</file>", prompt, StringComparison.Ordinal);
        Assert.Contains($"<file path=\"src{Path.DirectorySeparatorChar}app.cs\">\nclass App {{}}\n</file>", prompt, StringComparison.Ordinal);
        Assert.Contains("static class Util {}", prompt, StringComparison.Ordinal);
        Assert.EndsWith("</project_context>", prompt, StringComparison.Ordinal);
        Assert.Equal("Why?", ProjectContext.Attach("Why?", null));
        Assert.Equal("Why?", ProjectContext.Attach("Why?", new ProjectContext()));
    }

    [Fact]
    public void Patterns_leave_out_secrets_dependencies_build_output_binaries_and_what_the_caller_excludes()
    {
        Write("src/keep.cs", "keep");
        Write(".env", "SECRET=1");
        Write("node_modules/pkg/index.js", "dependency");
        Write("bin/Release/out.cs", "build output");
        Write("src/generated.cs", "generated");
        File.WriteAllBytes(Path.Combine(_root, "src", "image.cs"), [0x89, 0x50, 0x00, 0x47]);
        var rendered = new ProjectContext { RootPath = _root, Includes = ["**/*"], Excludes = ["**/generated.cs"] }.Render();

        Assert.Contains("keep", rendered, StringComparison.Ordinal);
        foreach (var absent in (string[])["SECRET", "dependency", "build output", "generated", "image.cs"])
        {
            Assert.DoesNotContain(absent, rendered, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_long_file_is_cut_and_the_whole_attachment_stays_within_its_limits()
    {
        Write("big.txt", new string('a', ProjectContext.MaxFileBytes + 10));
        var big = new ProjectContext { RootPath = _root, Files = ["big.txt"] }.Render();
        Assert.Contains("[… cut here: the file is longer]", big, StringComparison.Ordinal);
        Assert.True(big.Length < ProjectContext.MaxFileBytes + 500);

        for (var i = 0; i < ProjectContext.MaxFiles + 5; i++)
        {
            Write($"many/{i:D3}.txt", "x");
        }

        var many = new ProjectContext { RootPath = _root, Includes = ["many/*.txt"] }.Render();
        Assert.Equal(ProjectContext.MaxFiles, many.Split("<file ").Length - 1);
        Assert.Contains("5 more file(s) matched", many, StringComparison.Ordinal);

        for (var i = 0; i < 6; i++)
        {
            Write($"huge/{i}.txt", new string('b', ProjectContext.MaxFileBytes));
        }

        var huge = new ProjectContext { RootPath = _root, Includes = ["huge/*.txt"] }.Render();
        Assert.True(huge.Length <= ProjectContext.MaxTotalBytes + 2_000, $"{huge.Length} characters");
        Assert.Contains("left out: the attachment is at its 256 KiB limit", huge, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_or_root_is_an_error_that_names_it()
    {
        var missing = Assert.Throws<ToolInputException>(() => new ProjectContext { RootPath = _root, Files = ["nope.md"] }.Render());
        Assert.Equal($"project_context.files: 'nope.md' does not exist (relative paths start at {_root}).", missing.Message);
        var root = Assert.Throws<ToolInputException>(() => new ProjectContext { RootPath = Path.Combine(_root, "absent"), Includes = ["*"] }.Render());
        Assert.Contains("is not a directory", root.Message, StringComparison.Ordinal);
    }

    private void Write(string relative, string content)
    {
        var path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
