using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Polydev.Testing.SignIn;

/// <summary>
/// The login image as a test needs it to sign in against the providers' doubles: the real <c>polydev/login</c> with
/// the doubles' CA added to its system store (<c>update-ca-certificates</c>: what Codex reads), named for Node
/// (<c>NODE_EXTRA_CA_CERTS</c>: Claude Code, Gemini CLI) and for OpenSSL users (<c>SSL_CERT_FILE</c>); the login
/// agent imports the same file into Chromium's NSS store when the session starts. One image per CA, built in a few
/// seconds on top of the real one with the Docker CLI.
/// </summary>
public static class SignInLoginImage
{
    public const string Repository = "polydev-test/login-signin";

    private const string Base = "polydev/login:latest";

    /// <summary>The image's reference, built when missing.</summary>
    public static async Task<string> EnsureAsync(string authorityPem)
    {
        var baseId = (await DockerAsync("image", "inspect", "-f", "{{.Id}}", Base)).Trim();
        var tag = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(baseId + "\n" + authorityPem)))[..16];
        var reference = $"{Repository}:{tag}";
        if ((await TryDockerAsync("image", "inspect", reference)).ExitCode == 0)
        {
            return reference;
        }

        var context = Directory.CreateTempSubdirectory("polydev-signin-image-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(context, "polydev-test-ca.crt"), authorityPem);
            await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), $"""
                FROM {Base}
                USER 0:0
                COPY polydev-test-ca.crt /usr/local/share/ca-certificates/polydev-test-ca.crt
                RUN update-ca-certificates >/dev/null
                ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/polydev-test-ca.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
                USER 1900000000:1900000000
                """);
            await DockerAsync("build", "-q", "-t", reference, context);
            return reference;
        }
        finally
        {
            Directory.Delete(context, recursive: true);
        }
    }

    private static async Task<string> DockerAsync(params string[] arguments)
    {
        var (code, output, error) = await TryDockerAsync(arguments);
        return code == 0 ? output : throw new InvalidOperationException($"docker {string.Join(' ', arguments)} failed ({code}): {error.Trim()}");
    }

    private static async Task<(int ExitCode, string Output, string Error)> TryDockerAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }
}
