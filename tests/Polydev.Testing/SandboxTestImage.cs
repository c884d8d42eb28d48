using System.Formats.Tar;

namespace Polydev.Testing;

/// <summary>
/// A tiny root file system for sandbox tests, made at run time without any registry: Debian's static
/// busybox (package busybox-static, installed by scripts/test) as <c>/bin/busybox</c> with
/// <c>/bin/sh</c> beside it, and an <c>/etc/passwd</c> naming the non-root user 1900000000 <c>sandbox</c> (<c>SandboxUser</c>).
/// The tarball is imported as an image (<c>docker import</c>, Engine API <c>/images/create?fromSrc=-</c>).
/// </summary>
public static class SandboxTestImage
{
    public const string Repository = "polydev-test/busybox";

    /// <summary>Bump when the contents change, so an old import is not reused.</summary>
    public const string Tag = "3";

    public const string Reference = Repository + ":" + Tag;

    private const string Busybox = "/bin/busybox";

    /// <summary>The root file system as a tar stream; throws with what to install when busybox is missing.</summary>
    public static MemoryStream BuildTarball()
    {
        if (!File.Exists(Busybox) || IsDynamic(Busybox))
        {
            throw new InvalidOperationException($"A static busybox is needed at {Busybox} for the sandbox test image. Run the tests through scripts/test, which installs it, or: apt-get install busybox-static");
        }

        var output = new MemoryStream();
        using (var tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var directory in new[] { "bin", "etc", "home", "home/sandbox", "tmp", "proc", "sys", "dev" })
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, directory + "/") { Mode = Mode(directory is "tmp" or "home/sandbox" ? "1777" : "755") });
            }

            tar.WriteEntry(Busybox, "bin/busybox");
            tar.WriteEntry(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/sh") { LinkName = "busybox", Mode = Mode("777") });
            WriteText(tar, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nsandbox:x:1900000000:1900000000:sandbox:/home/sandbox:/bin/sh\n");
            WriteText(tar, "etc/group", "root:x:0:\nsandbox:x:1900000000:\n");
        }

        output.Position = 0;
        return output;
    }

    private static void WriteText(TarWriter tar, string name, string text)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = Mode("644"),
            DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)),
        };
        tar.WriteEntry(entry);
    }

    private static UnixFileMode Mode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);

    // Dynamic when an ELF64 program header is PT_INTERP (the loader): it would not run alone in the image.
    private static bool IsDynamic(string path)
    {
        var elf = File.ReadAllBytes(path).AsSpan();
        if (elf.Length < 64 || !elf[..4].SequenceEqual("\u007fELF"u8) || elf[4] != 2)
        {
            return true;
        }

        var phoff = (int)BitConverter.ToUInt64(elf[0x20..]);
        var phentsize = BitConverter.ToUInt16(elf[0x36..]);
        var phnum = BitConverter.ToUInt16(elf[0x38..]);
        for (var i = 0; i < phnum; i++)
        {
            if (BitConverter.ToUInt32(elf[(phoff + (i * phentsize))..]) == 3)
            {
                return true;
            }
        }

        return false;
    }
}
