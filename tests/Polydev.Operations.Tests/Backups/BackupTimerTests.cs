using System.Text.RegularExpressions;
using Polydev.Operations.Tests.Systemd;
using Polydev.Testing;

namespace Polydev.Operations.Tests.Backups;

/// <summary>
/// The daily backup units docs/operations.md ("Scheduling backups") tells operators to install, taken from the page as
/// written and loaded by Debian's <c>systemd-analyze verify</c> beside the host's units; a broken copy is refused.
/// </summary>
public sealed partial class BackupTimerTests
{
    [Fact]
    public async Task The_backup_units_of_operations_md_pass_systemd_analyze_verify()
    {
        var units = UnitsFromOperationsPage();
        Assert.Equal(["polydev-backup.service", "polydev-backup.timer"], units.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("polydev admin backup --output ", units["polydev-backup.service"], StringComparison.Ordinal);

        foreach (var unit in units.Keys)
        {
            var verify = await VerifyAsync(units, unit);
            Assert.True(verify.ExitCode == 0 && verify.Output.Length == 0 && verify.Errors.Length == 0, $"{unit}: exit {verify.ExitCode}: {verify.Output}{verify.Errors}");
        }

        var broken = new Dictionary<string, string>(units) { ["polydev-backup.timer"] = units["polydev-backup.timer"].Replace("OnCalendar=*-*-* 03:17:00", "OnCalendar=every night", StringComparison.Ordinal) };
        var refused = await VerifyAsync(broken, "polydev-backup.timer");
        Assert.Contains("every night", refused.Output + refused.Errors, StringComparison.Ordinal);
    }

    private static async Task<ChildProcess.Result> VerifyAsync(IReadOnlyDictionary<string, string> units, string unit)
    {
        var directory = Directory.CreateTempSubdirectory("polydev-backup-units-").FullName;
        try
        {
            foreach (var (name, text) in units)
            {
                await File.WriteAllTextAsync(Path.Combine(directory, name), text);
            }

            using var root = OfflineSystemdRoot.Create(directory);
            return await root.VerifyAsync(unit);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The <c>ini</c> block of "Scheduling backups", cut at its <c># /etc/systemd/system/NAME</c> lines.</summary>
    private static Dictionary<string, string> UnitsFromOperationsPage()
    {
        var page = File.ReadAllText(Path.Combine(PinnedClis.RepositoryRoot(), "docs", "operations.md"));
        var section = page[page.IndexOf("### Scheduling backups", StringComparison.Ordinal)..];
        var block = IniBlock().Match(section);
        Assert.True(block.Success, "no ```ini block under \"Scheduling backups\" in docs/operations.md");
        var units = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in UnitHeader().Split(block.Groups["body"].Value).Skip(1).Chunk(2))
        {
            units[part[0]] = part[1].Trim() + "\n";
        }

        return units;
    }

    [GeneratedRegex("```ini\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex IniBlock();

    [GeneratedRegex(@"^# /etc/systemd/system/(\S+)\n", RegexOptions.Multiline)]
    private static partial Regex UnitHeader();
}
