using Polydev.Server.Sandboxes;

namespace Polydev.Server.Tests.Sandboxes;

/// <summary>
/// Issue 13, finding 1: the host check behind the sandbox uid. Whatever account, group or rootless-container range
/// gives the id to someone is named; comments and other ids are not.
/// </summary>
public sealed class SandboxUserTests
{
    [Theory]
    [InlineData("passwd", "sandboxed:x:1900000000:100::/home/s:/bin/sh\n", "the account 'sandboxed'")]
    [InlineData("group", "squad:x:1900000000:\n", "the group 'squad'")]
    [InlineData("subuid", "alice:1899999999:2\n", "subuid gives 1900000000 to 'alice'")]
    [InlineData("subgid", "bob:1899934464:65537\n", "subgid gives 1900000000 to 'bob'")]
    public void An_account_group_or_subordinate_range_that_holds_the_id_is_named(string file, string content, string named)
    {
        var etc = Etc(("passwd", "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/bash\n"), (file, content));
        Assert.Contains(named, SandboxUser.HostOwner(SandboxUser.Id, SandboxUser.Id, etc), StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_is_named_when_no_entry_holds_the_id()
    {
        var etc = Etc(
            ("passwd", "# sandboxed:x:1900000000:1900000000::/:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/bash\nodd:x:not-a-number:1::/:/bin/sh\n"),
            ("group", "alice:x:1000:\n"),
            ("subuid", "alice:100000:65536\nbob:1900000001:10\n"));
        Assert.Null(SandboxUser.HostOwner(SandboxUser.Id, SandboxUser.Id, etc));
        Assert.Null(SandboxUser.HostOwner(SandboxUser.Id, SandboxUser.Id, Directory.CreateTempSubdirectory("polydev-etc-").FullName));
        Assert.Equal(SandboxUser.Default, SandboxLimits.Default.User);
    }

    private static string Etc(params (string Name, string Content)[] files)
    {
        var etc = Directory.CreateTempSubdirectory("polydev-etc-").FullName;
        foreach (var (name, content) in files)
        {
            File.AppendAllText(Path.Combine(etc, name), content);
        }

        return etc;
    }
}
