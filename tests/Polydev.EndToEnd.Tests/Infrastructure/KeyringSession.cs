using System.Diagnostics;

namespace Polydev.EndToEnd.Tests.Infrastructure;

/// <summary>
/// An OS keyring of the test's own, as a desktop session has one: a D-Bus session bus (<c>dbus-daemon</c>) and GNOME
/// Keyring's Secret Service on it, unlocked, keeping its files in a temporary home. Processes that should use it get
/// <see cref="Environment"/>. scripts/test installs both (scripts/lib/mcp.sh).
/// </summary>
public sealed class KeyringSession : IAsyncDisposable
{
    private readonly string _directory;
    private readonly Process _bus;
    private readonly Process _keyring;

    private KeyringSession(string directory, Process bus, Process keyring, string address)
    {
        _directory = directory;
        _bus = bus;
        _keyring = keyring;
        BusAddress = address;
    }

    public string BusAddress { get; }

    /// <summary>What a process needs to find this keyring.</summary>
    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?>
    {
        ["DBUS_SESSION_BUS_ADDRESS"] = BusAddress,
    };

    public static async Task<KeyringSession> StartAsync()
    {
        var directory = Directory.CreateTempSubdirectory("polydev-keyring-").FullName;
        var address = $"unix:path={Path.Combine(directory, "bus")}";
        var bus = Process.Start(Info("dbus-daemon", ["--session", "--nofork", "--nopidfile", $"--address={address}"], directory, address))!;
        await WaitForAsync(() => File.Exists(Path.Combine(directory, "bus")), "dbus-daemon's socket");

        var keyring = Process.Start(Info("gnome-keyring-daemon", ["--foreground", "--unlock", "--components=secrets"], directory, address))!;
        // --unlock reads the keyring's password from stdin: a fresh login keyring is created with it, unlocked.
        await keyring.StandardInput.WriteAsync("polydev-test-keyring");
        keyring.StandardInput.Close();
        var session = new KeyringSession(directory, bus, keyring, address);
        await WaitForAsync(() => NameOwned(address), "the Secret Service on the bus");
        return session;
    }

    private static ProcessStartInfo Info(string file, string[] arguments, string home, string address)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["HOME"] = home;
        info.Environment["XDG_DATA_HOME"] = Path.Combine(home, "data");
        info.Environment["XDG_RUNTIME_DIR"] = home;
        info.Environment["DBUS_SESSION_BUS_ADDRESS"] = address;
        return info;
    }

    /// <summary>Whether org.freedesktop.secrets has an owner on the bus (dbus-send, which comes with dbus).</summary>
    private static bool NameOwned(string address)
    {
        var info = new ProcessStartInfo("dbus-send") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets"])
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DBUS_SESSION_BUS_ADDRESS"] = address;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output.Contains("boolean true", StringComparison.Ordinal);
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what} did not come up within 15 s.");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in (Process[])[_keyring, _bus])
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
