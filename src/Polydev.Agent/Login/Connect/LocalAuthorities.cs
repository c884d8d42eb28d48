using System.Diagnostics;

namespace Polydev.Agent.Login.Connect;

/// <summary>
/// Makes the remote browser trust the certificate authorities the image added to the system store
/// (<c>/usr/local/share/ca-certificates</c>: a company's TLS-inspecting proxy, or the test CA of the providers' sign-in
/// doubles). Chromium on Linux reads its own NSS store in the profile's home, not the system bundle the CLIs read, so
/// each is imported there (Debian's <c>certutil</c>) before the browser starts.
/// </summary>
internal static class LocalAuthorities
{
    public const string Directory = "/usr/local/share/ca-certificates";

    public static void TrustInBrowser(string home, TextWriter stderr)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return;
        }

        string[] authorities = System.IO.Directory.GetFiles(Directory, "*.crt", SearchOption.AllDirectories);
        if (authorities.Length == 0)
        {
            return;
        }

        string store = Path.Combine(home, ".pki", "nssdb");
        System.IO.Directory.CreateDirectory(store);
        if (!Run(["-N", "-d", "sql:" + store, "--empty-password"]))
        {
            stderr.WriteLine("polydev-agent: certutil could not make the browser's certificate store; the image's own authorities are not trusted by the browser.");
            return;
        }

        foreach (string authority in authorities)
        {
            if (!Run(["-A", "-d", "sql:" + store, "-t", "C,,", "-n", Path.GetFileNameWithoutExtension(authority), "-i", authority]))
            {
                stderr.WriteLine($"polydev-agent: certutil could not import {Path.GetFileName(authority)} into the browser's store.");
            }
        }
    }

    private static bool Run(string[] arguments)
    {
        var start = new ProcessStartInfo("certutil") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using Process process = Process.Start(start)!;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            return process.WaitForExit(10_000) && process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
