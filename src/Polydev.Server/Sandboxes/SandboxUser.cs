using System.Globalization;

namespace Polydev.Server.Sandboxes;

/// <summary>
/// The uid and gid sandboxes run as: one no account of the sandbox host owns. Without user-namespace remapping a
/// container's uid is the host's uid, and a host account with the same uid could read a sandbox's processes through
/// <c>/proc</c> (their environment, their memory). 1,900,000,000 lies far above the ranges distributions hand out to
/// people (1000 up), to system services (below 1000, systemd's dynamic 61184–65519) and, usually, to rootless
/// containers (<c>/etc/subuid</c>, from 100000 up in blocks of 65536); <see cref="HostOwner"/> checks the host anyway.
/// </summary>
public static class SandboxUser
{
    public const int Id = 1_900_000_000;

    /// <summary><see cref="SandboxLimits.User"/>'s default; the runtime image's <c>sandbox</c> account has the same ids.</summary>
    public const string Default = "1900000000:1900000000";

    /// <summary>What on this host owns <paramref name="uid"/> or <paramref name="gid"/>, or null when nothing does.</summary>
    public static string? HostOwner(int uid, int gid, string etc = "/etc")
    {
        foreach (var line in Lines(Path.Combine(etc, "passwd")))
        {
            if (line.Split(':') is [var name, _, var id, ..] && Is(id, uid))
            {
                return $"the account '{name}' in {etc}/passwd has uid {uid}";
            }
        }

        foreach (var line in Lines(Path.Combine(etc, "group")))
        {
            if (line.Split(':') is [var name, _, var id, ..] && Is(id, gid))
            {
                return $"the group '{name}' in {etc}/group has gid {gid}";
            }
        }

        foreach (var (file, id) in new[] { ("subuid", uid), ("subgid", gid) })
        {
            foreach (var line in Lines(Path.Combine(etc, file)))
            {
                if (line.Split(':') is [var name, var first, var count] && long.TryParse(first, CultureInfo.InvariantCulture, out var start)
                    && long.TryParse(count, CultureInfo.InvariantCulture, out var length) && id >= start && id < start + length)
                {
                    return $"{etc}/{file} gives {id} to '{name}' (rootless containers of that account run as it)";
                }
            }
        }

        return null;
    }

    private static bool Is(string field, int id) => int.TryParse(field, CultureInfo.InvariantCulture, out var value) && value == id;

    private static IEnumerable<string> Lines(string path) =>
        File.Exists(path) ? File.ReadLines(path).Where(l => l.Length > 0 && l[0] != '#') : [];
}
