using Polydev.Server.Sandboxes.Docker.Images;
using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Tests.Sandboxes.Images;

public sealed class AptSourcesTests
{
    [Fact]
    public void Deb822_gives_the_uri_of_the_paragraph_with_the_suite_itself()
    {
        const string text = """
            Types: deb-src
            URIs: http://src.example/debian
            Suites: bookworm
            Components: main

            Types: deb
            # a comment
            URIs: http://security.example/debian-security
            Suites: bookworm-security
            Components: main

            Types: deb
            URIs: http://disabled.example/debian
            Suites: bookworm
            Enabled: no

            Types: deb
            URIs: http://mirror.example/debian http://second.example/debian
            Suites: bookworm bookworm-updates
            Components: main
            """;

        Assert.Equal("http://mirror.example/debian", AptSources.FromDeb822(text, "bookworm"));
        Assert.Equal("http://security.example/debian-security", AptSources.FromDeb822(text, "bookworm-security"));
        Assert.Null(AptSources.FromDeb822(text, "trixie"));
    }

    [Fact]
    public void One_line_sources_skip_options_comments_and_other_suites()
    {
        const string text = """
            # deb http://commented.example/debian bookworm main
            deb-src http://src.example/debian bookworm main
            deb http://security.example/debian-security bookworm-security main
            deb [arch=amd64 signed-by=/usr/share/keyrings/k.gpg] https://mirror.example/debian bookworm main contrib
            """;

        Assert.Equal("https://mirror.example/debian", AptSources.FromOneLine(text, "bookworm"));
        Assert.Null(AptSources.FromOneLine(text, "trixie"));
    }

    [Fact]
    public void The_directory_is_searched_sources_list_first_then_the_parts_in_name_order()
    {
        var apt = Directory.CreateTempSubdirectory("polydev-apt-");
        try
        {
            Directory.CreateDirectory(Path.Combine(apt.FullName, "sources.list.d"));
            File.WriteAllText(Path.Combine(apt.FullName, "sources.list.d", "b.sources"), "Types: deb\nURIs: http://b.example/debian\nSuites: bookworm\n");
            File.WriteAllText(Path.Combine(apt.FullName, "sources.list.d", "a.list"), "deb http://a.example/debian bookworm-updates main\n");
            Assert.Equal("http://b.example/debian", AptSources.FindMirror("bookworm", apt.FullName));

            File.WriteAllText(Path.Combine(apt.FullName, "sources.list"), "deb http://main.example/debian bookworm main\n");
            Assert.Equal("http://main.example/debian", AptSources.FindMirror("bookworm", apt.FullName));
            Assert.Null(AptSources.FindMirror("sid", apt.FullName));
        }
        finally
        {
            apt.Delete(recursive: true);
        }
    }
}
