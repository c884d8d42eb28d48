using Polydev.Server.Sandboxes.Images;

namespace Polydev.Server.Tests.Sandboxes.Images;

/// <summary>The apt packages a Dockerfile installs, as the login image's version names them; and what images/login/Dockerfile installs.</summary>
public sealed class AptPackagesTests
{
    [Fact]
    public void Packages_spread_over_continuation_lines_are_read_sorted_without_options_comments_or_what_follows()
    {
        var dockerfile = """
            FROM x
            # apt-get install commented-out
            RUN apt-get update; \
                DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
                    xvfb chromium \
            # a comment line inside the command, dropped as Docker drops it
                    chromium fonts-dejavu-core; \
                rm -rf /var/lib/apt/lists/*
            RUN apt-get install -y x11vnc && echo done
            """;

        Assert.Equal(["chromium", "fonts-dejavu-core", "x11vnc", "xvfb"], AptPackages.Parse(dockerfile));
    }

    [Fact]
    public void A_dockerfile_without_apt_get_install_is_refused_naming_it()
    {
        var e = Assert.Throws<ImageBuildException>(() => AptPackages.Parse("FROM x\nRUN true\n", "images/login/Dockerfile"));
        Assert.Equal("images/login/Dockerfile: no apt-get install line names a package", e.Message);
    }

    /// <summary>What the login agent and the issue need from the image, each named in the one apt-get install.</summary>
    [Fact]
    public void The_login_dockerfile_installs_the_screen_the_browser_gstreamer_and_the_input_tools()
    {
        var packages = AptPackages.Parse(File.ReadAllText(RuntimeImageSetup.LoginDockerfile));

        string[] needed =
        [
            "xvfb", "chromium", "fonts-dejavu-core", "libgstreamer1.0-0", "gstreamer1.0-plugins-base", "gstreamer1.0-plugins-good",
            "gstreamer1.0-plugins-bad", "gstreamer1.0-plugins-ugly", "gstreamer1.0-nice", "gstreamer1.0-x", "gstreamer1.0-tools",
            "x11vnc", "x11-xserver-utils", "xclip", "libxtst6", "libxfixes3", "ca-certificates",
        ];
        Assert.Empty(needed.Except(packages));
    }
}
