using System.Diagnostics;
using Microsoft.Identity.Client.Extensions.Msal;
using Polydev.Client.State;

namespace Polydev.Client.Keys;

/// <summary>
/// One secret in the operating system's keyring: the Secret Service (GNOME Keyring, KWallet) through libsecret on
/// Linux, the login Keychain on macOS, a DPAPI-protected file on Windows. Microsoft's cross-platform store (the one
/// MSAL keeps its tokens in) does the talking, so Polydev carries no per-OS code. The entry is per client home
/// (<see cref="ClientHome"/>), so two homes on one machine (a test's, a second account's) never share one.
/// </summary>
internal sealed class OsKeyring
{
    private readonly Storage _storage;

    private OsKeyring(Storage storage) => _storage = storage;

    /// <summary>The keyring entry named <paramref name="name"/> for this client home.</summary>
    public static OsKeyring Open(string name)
    {
        var home = ClientHome.Directory;
        Directory.CreateDirectory(home);
        var properties = new StorageCreationPropertiesBuilder($"{name}.keyring", home)
            .WithLinuxKeyring(
                schemaName: "dev.polydev.keyring",
                collection: MsalCacheHelper.LinuxKeyRingDefaultCollection,
                secretLabel: $"Polydev {name} ({home})",
                attribute1: new KeyValuePair<string, string>("polydev", name),
                attribute2: new KeyValuePair<string, string>("home", home))
            .WithMacKeyChain(serviceName: "Polydev", accountName: $"{name}:{home}")
            .Build();
        // The store logs through a TraceSource; nothing it would say belongs on the MCP server's stderr.
        return new OsKeyring(Storage.Create(properties, new TraceSource("Polydev.Keyring", SourceLevels.Off)));
    }

    /// <summary>
    /// Whether a keyring answers here: a desktop session has one; a bare server or container usually has no Secret
    /// Service to talk to. Writes and reads back a test value (the store's own check).
    /// </summary>
    /// <exception cref="CliException">No keyring; the message says what is missing.</exception>
    public void EnsureAvailable()
    {
        try
        {
            _storage.VerifyPersistence();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new CliException($"no OS keyring answers on this machine ({Reason(e)}); give the MCP server POLYDEV_SESSION or POLYDEV_PASSWORD instead (docs/mcp.md).");
        }
    }

    /// <summary>The stored bytes; null when there are none or no keyring answers.</summary>
    public byte[]? Read()
    {
        try
        {
            var data = _storage.ReadData();
            return data is { Length: > 0 } ? data : null;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }
    }

    public void Write(byte[] data)
    {
        try
        {
            _storage.WriteData(data);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new CliException($"the OS keyring refused the entry ({Reason(e)}).");
        }
    }

    public void Clear() => _storage.Clear(ignoreExceptions: true);

    // The store throws its own interop exceptions (a missing D-Bus session, a locked collection) besides the usual
    // ones; at this boundary any failure to talk to the keyring means the same: there is no entry to be had.

    /// <summary>The keyring's own words, on one line; they name what failed (a missing library, a locked keyring), never the secret.</summary>
    private static string Reason(Exception e) => e is DllNotFoundException
        ? "libsecret is not installed"
        : (e.InnerException?.Message ?? e.Message).ReplaceLineEndings(" ").Trim();
}
