namespace Polydev.Server.Login.Turn;

/// <summary>
/// What the embedded TURN server keeps under the data directory, in <c>&lt;Data&gt;/turn</c> (0700): the generated
/// secret and the config (both 0600), coturn's pid file (to stop a coturn a crashed server left running) and, when
/// coturn keeps the server's account, its user database (unused with a shared secret, but coturn opens one).
/// </summary>
public sealed record TurnFiles(string Directory)
{
    internal const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    internal const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <param name="dataDirectory">The server's <c>Data</c> setting; relative to the working directory, like the database.</param>
    public static TurnFiles Under(string dataDirectory) => new(Path.Combine(Path.GetFullPath(dataDirectory), "turn"));

    public string SecretFile => Path.Combine(Directory, "secret");

    public string ConfigFile => Path.Combine(Directory, "turnserver.conf");

    public string PidFile => Path.Combine(Directory, "turnserver.pid");

    public string UserDatabase => Path.Combine(Directory, "turndb");

    /// <summary>Creates the directory 0700, or narrows an existing one to it.</summary>
    public void EnsureDirectory()
    {
        if (OperatingSystem.IsWindows())
        {
            throw WindowsUnsupported();
        }

        System.IO.Directory.CreateDirectory(Directory, PrivateDirectory);
        Narrow(Directory, PrivateDirectory);
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> as a 0600 file, replacing it whole.</summary>
    public static void WritePrivate(string path, string content)
    {
        // Written beside and renamed: coturn never reads half a file, and the file is never wider than 0600.
        var temporary = path + ".tmp";
        File.Delete(temporary);
        using (var stream = CreatePrivate(temporary))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(content);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>A new file, 0600 from its creation; fails when <paramref name="path"/> exists.</summary>
    internal static FileStream CreatePrivate(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            throw WindowsUnsupported();
        }

        return new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = PrivateFile });
    }

    /// <summary>Takes every permission beyond <paramref name="mode"/> away from <paramref name="path"/>.</summary>
    internal static void Narrow(string path, UnixFileMode mode)
    {
        if (OperatingSystem.IsWindows())
        {
            throw WindowsUnsupported();
        }

        if ((File.GetUnixFileMode(path) & ~mode) != 0)
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    private static PlatformNotSupportedException WindowsUnsupported() => new("TURN files need Unix permissions.");
}
