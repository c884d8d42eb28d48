namespace Polydev.Client.Tests.Contracts;

/// <summary>
/// The web client's job and event types are generated from the C# contract; a change on one side only fails here.
/// </summary>
public sealed class TypeScriptContractTests
{
    [Fact]
    public void The_committed_TypeScript_is_what_the_contract_generates()
    {
        var path = Path.Combine(RepositoryRoot(), TypeScriptContract.RelativePath);
        var generated = TypeScriptContract.Generate();
        if (Environment.GetEnvironmentVariable("POLYDEV_REGENERATE") == "1")
        {
            File.WriteAllText(path, generated);
        }

        var committed = File.Exists(path) ? File.ReadAllText(path) : "";
        Assert.True(
            committed == generated,
            $"{TypeScriptContract.RelativePath} is not what the C# contract (src/Polydev.Contracts/Jobs) generates. Regenerate it with\n  {TypeScriptContract.RegenerateCommand}\nthen make the web client use the change (cd web && npm test).");
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Polydev.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Polydev.slnx above {AppContext.BaseDirectory}.");
    }
}
