using System.Formats.Tar;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Polydev.EndToEnd.Tests.Admin;

/// <summary>A backup file read and rewritten the way an operator's tools (tar) would, to look inside it and to make damaged copies.</summary>
public static class BackupArchive
{
    public const string ManifestEntry = "polydev-backup.json";

    /// <summary>The names of the archive's entries, in order.</summary>
    public static List<string> EntryNames(string file)
    {
        using var tar = new TarReader(File.OpenRead(file));
        var names = new List<string>();
        while (tar.GetNextEntry() is { } entry)
        {
            names.Add(entry.Name);
        }

        return names;
    }

    public static JsonElement Manifest(string file)
    {
        var (manifest, _) = Read(file);
        using var document = JsonDocument.Parse(manifest.ToJsonString());
        return document.RootElement.Clone();
    }

    /// <summary>
    /// Writes <paramref name="destination"/>: <paramref name="file"/> with its manifest and payload changed by the given
    /// functions, the manifest's SHA-256 left as it was (so a changed payload no longer matches it).
    /// </summary>
    public static void Rewrite(string file, string destination, Action<JsonObject>? manifest = null, Action<byte[]>? payload = null)
    {
        var (json, data) = Read(file);
        manifest?.Invoke(json);
        payload?.Invoke(data);
        using var output = File.Create(destination);
        using var tar = new TarWriter(output, TarEntryFormat.Pax);
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, ManifestEntry) { DataStream = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(json)) });
        tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, json["payload"]!["name"]!.GetValue<string>()) { DataStream = new MemoryStream(data) });
    }

    private static (JsonObject Manifest, byte[] Payload) Read(string file)
    {
        using var tar = new TarReader(File.OpenRead(file));
        var first = tar.GetNextEntry(copyData: true)!;
        Assert.Equal(ManifestEntry, first.Name);
        var manifest = JsonNode.Parse(first.DataStream!)!.AsObject();
        var second = tar.GetNextEntry(copyData: true)!;
        using var payload = new MemoryStream();
        second.DataStream!.CopyTo(payload);
        return (manifest, payload.ToArray());
    }
}
