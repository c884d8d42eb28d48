using System.Diagnostics;

namespace Polydev.Server.Storage.Backups;

/// <summary>
/// A restore run as root (a deploy script, say) would leave a database only root can open, and the server, running
/// as its own account, could not start on it. So a file put in place takes the owner and group of what it replaces
/// (or of its directory), with coreutils' <c>chown --reference</c>: .NET can read and set modes but not owners.
/// </summary>
internal static class FileOwner
{
    public static void CopyTo(string file, string reference)
    {
        if (OperatingSystem.IsWindows() || !Environment.IsPrivilegedProcess)
        {
            // Not root: whatever this process makes is its own account's, which cannot give it away anyway.
            return;
        }

        var start = new ProcessStartInfo("chown") { RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add($"--reference={reference}");
        start.ArgumentList.Add("--");
        start.ArgumentList.Add(file);
        using var chown = Process.Start(start)!;
        var error = chown.StandardError.ReadToEnd();
        chown.WaitForExit();
        if (chown.ExitCode != 0)
        {
            throw new BackupException($"cannot give {file} the owner of {reference}: {error.Trim()}");
        }
    }
}
