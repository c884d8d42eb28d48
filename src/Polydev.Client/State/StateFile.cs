using System.Text.Json;
using Polydev.Contracts;

namespace Polydev.Client.State;

/// <summary>
/// The one state file, <c>state.json</c> in <see cref="ClientHome"/>. It holds a bearer token, so the directory is
/// 0700 and the file 0600; writes go to a temporary file that is renamed over the old one, so a crash or a second
/// polydev process never leaves a half-written file.
/// </summary>
internal sealed class StateFile(string directory)
{
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public string Path { get; } = System.IO.Path.Combine(directory, "state.json");

    public static StateFile Default() => new(ClientHome.Directory);

    public LocalState? Load()
    {
        string json;
        try
        {
            json = File.ReadAllText(Path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<LocalState>(json, PolydevJson.Options)
                ?? throw new JsonException("The state file holds null.");
        }
        catch (JsonException)
        {
            throw new CliException($"the state file {Path} is damaged; delete it and run `polydev login`.");
        }
    }

    public void Save(LocalState state)
    {
        EnsureDirectory();
        var temporary = $"{Path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateFile;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                JsonSerializer.Serialize(stream, state, PolydevJson.Options);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, Path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public void Delete() => File.Delete(Path);

    private void EnsureDirectory()
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            return;
        }

        Directory.CreateDirectory(directory, PrivateDirectory);
        // CreateDirectory keeps the mode of a directory that already exists; tighten one made by hand.
        if ((File.GetUnixFileMode(directory) & ~PrivateDirectory) != 0)
        {
            File.SetUnixFileMode(directory, PrivateDirectory);
        }
    }
}
