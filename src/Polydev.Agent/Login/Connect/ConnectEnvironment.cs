using System.Net;
using Polydev.Agent.Login.Desktop;

namespace Polydev.Agent.Login.Connect;

/// <summary>The environment a CLI's login runs in: the session's display and browser, the egress forwarder, nothing of the agent's own.</summary>
internal static class ConnectEnvironment
{
    /// <summary>The login image's hook (images/login/Dockerfile); in the image because the sandbox's home is mounted noexec.</summary>
    public const string ImageOpener = "/usr/local/lib/polydev-login/xdg-open";

    /// <summary>
    /// HOME, PATH and locale; the display; <c>BROWSER</c> naming a script that opens a URL in the session's running
    /// Chromium (same profile: Chromium hands the URL to the running instance, which shows it as a new tab); the forwarder
    /// as every proxy variable, loopback excepted so the CLI's own callback server is reached directly; the image's extra
    /// certificate authorities, when it names any.
    /// </summary>
    public static Dictionary<string, string> For(DesktopSettings settings, string display, string? proxy)
    {
        string opener = System.IO.File.Exists(ImageOpener) ? ImageOpener : WriteBrowserScripts(settings);
        var environment = new Dictionary<string, string>
        {
            ["HOME"] = settings.Home,
            // First on PATH: an xdg-open that opens in the session's browser, for CLIs that run xdg-open themselves
            // whatever BROWSER says (Gemini CLI, Node's open package).
            ["PATH"] = Path.GetDirectoryName(opener) + ":" + (System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin"),
            ["LANG"] = System.Environment.GetEnvironmentVariable("LANG") ?? "C.UTF-8",
            ["DISPLAY"] = display,
            ["BROWSER"] = opener,
            ["TERM"] = "dumb",
            ["NO_COLOR"] = "1",
        };
        foreach (string name in (string[])["TMPDIR", "USER", "LOGNAME", "TZ", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE"])
        {
            if (System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } value)
            {
                environment[name] = value;
            }
        }

        if (proxy is not null)
        {
            foreach (string name in (string[])["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"])
            {
                environment[name] = proxy;
            }

            environment["NO_PROXY"] = environment["no_proxy"] = "localhost,127.0.0.1,::1";
        }

        return environment;
    }

    /// <summary>What the remote browser shows until the CLI opens its sign-in page.</summary>
    public static string WaitingPage(ProviderLogin login) =>
        "data:text/html;charset=utf-8," + WebUtility.UrlEncode(
            $"<!doctype html><title>Polydev</title><body style=\"font:16px system-ui;margin:3em\"><p>Starting the {WebUtility.HtmlEncode(Polydev.Contracts.Providers.CliName(login.Provider))} sign-in…</p></body>").Replace("+", "%20", StringComparison.Ordinal);

    /// <summary>
    /// Outside the login image (the agent's tests on a host): writes the same <c>xdg-open</c> into a directory of its own
    /// in the home and returns its path. The profile is <see cref="DesktopSettings.ForHome"/>'s, as the image's script assumes.
    /// </summary>
    private static string WriteBrowserScripts(DesktopSettings settings)
    {
        string directory = Path.Combine(settings.Home, ".polydev-agent", "bin");
        Directory.CreateDirectory(directory);
        string script = Path.Combine(directory, "xdg-open");
        File.WriteAllText(script,
            "#!/bin/sh\n" +
            "# Opens each URL in the login session's running Chromium (the same profile hands it to the running browser).\n" +
            "# --no-sandbox as the running one has it: without, Chromium stops at its sandbox check before it looks for that browser.\n" +
            $"exec {Quote(settings.Browser)} --no-sandbox --user-data-dir={Quote(settings.ProfileDirectory)} \"$@\" >/dev/null 2>&1\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
