using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit.Abstractions;

namespace Polydev.Server.Tests.Architecture;

/// <summary>
/// The shape the charter asks of the code (issue 12): in <c>src/Polydev.Server</c> no class,
/// record or struct longer than 250 lines and no constructor with more than 6 parameters (a positional record's are its data, not dependencies); and
/// in all of <c>src/</c> no Docker outside the Docker engine's folder. Read from the sources
/// with Roslyn's parser, so a failure lists every offender with its file and line.
/// </summary>
public sealed partial class ServerShapeTests(ITestOutputHelper output)
{
    public const int MaxTypeLines = 250;
    public const int MaxConstructorParameters = 6;

    private static readonly string Repository = Path.GetFullPath(Path.Combine(SourceDirectory(), "..", "..", ".."));
    private static readonly string Server = Path.Combine(Repository, "src", "Polydev.Server");
    private static readonly string DockerEngine = Path.Combine(Server, "Sandboxes", "Docker") + Path.DirectorySeparatorChar;

    [Fact]
    public void No_server_type_is_longer_than_250_lines_or_takes_more_than_6_constructor_parameters()
    {
        var offenders = ShapeOffenders(Sources(Server));
        Report(offenders);
        Assert.True(offenders.Count == 0, $"{offenders.Count} types in src/Polydev.Server break the charter:\n{string.Join('\n', offenders)}");
    }

    [Fact]
    public void Nothing_outside_the_Docker_engine_names_Docker()
    {
        var offenders = Sources(Path.Combine(Repository, "src"))
            .Where(tree => !tree.FilePath.StartsWith(DockerEngine, StringComparison.Ordinal))
            .SelectMany(DockerMentions)
            .ToList();
        Report(offenders);
        Assert.True(offenders.Count == 0, $"{offenders.Count} places outside src/Polydev.Server/Sandboxes/Docker/ name Docker:\n{string.Join('\n', offenders)}");
    }

    /// <summary>The checks themselves, on code written to break them: a test that could never fail proves nothing.</summary>
    [Fact]
    public void The_checks_find_what_they_look_for()
    {
        var longBody = string.Join('\n', Enumerable.Repeat("    private int _f;", MaxTypeLines));
        var tree = CSharpSyntaxTree.ParseText($$"""
            namespace N;
            public sealed class Long
            {
            {{longBody}}
            }
            public sealed class Primary(int a, int b, int c, int d, int e, int f, int g);
            public sealed class Explicit
            {
                public Explicit(int a, int b, int c, int d, int e, int f, int g) { }
            }
            public readonly record struct Fine(int a, int b, int c, int d, int e, int f);
            public sealed record Data(int a, int b, int c, int d, int e, int f, int g);
            public partial class Split { }
            public partial class Split { }
            """, path: "/x/Sample.cs");
        var found = ShapeOffenders([tree]);
        Assert.Equal(
            ["N.Long: 253 lines (/x/Sample.cs:2)", "N.Primary: 7 constructor parameters (/x/Sample.cs:255)", "N.Explicit: 7 constructor parameters (/x/Sample.cs:258)"],
            found);

        var docker = DockerMentions(CSharpSyntaxTree.ParseText("""
            using Docker.DotNet;
            class C
            {
                DockerClient client;
                object start = new System.Diagnostics.ProcessStartInfo("docker", "ps");
                string build = "docker build -t x .";
                string engine = "docker";
                void Register() => AddDockerEngine();
            }
            """, path: "/x/Uses.cs")).ToList();
        Assert.Equal(
            ["/x/Uses.cs:1: namespace Docker.DotNet", "/x/Uses.cs:4: name DockerClient", "/x/Uses.cs:5: docker command \"docker\"", "/x/Uses.cs:6: docker command \"docker build -t x .\""],
            docker);
    }

    private static List<string> ShapeOffenders(IEnumerable<SyntaxTree> trees)
    {
        var declarations = trees
            .SelectMany(tree => tree.GetRoot().DescendantNodes().OfType<TypeDeclarationSyntax>())
            .Where(type => type is ClassDeclarationSyntax or RecordDeclarationSyntax or StructDeclarationSyntax);
        var offenders = new List<string>();

        // The parts of a partial type count together: splitting a class over files does not make it smaller.
        foreach (var parts in declarations.GroupBy(FullName))
        {
            var lines = parts.Sum(LineCount);
            if (lines > MaxTypeLines)
            {
                offenders.Add($"{parts.Key}: {lines} lines ({Where(parts.First())})");
            }

            foreach (var part in parts)
            {
                var constructors = part.Members.OfType<ConstructorDeclarationSyntax>()
                    .Where(c => !c.Modifiers.Any(SyntaxKind.StaticKeyword))
                    .Select(c => (Node: (SyntaxNode)c, c.ParameterList.Parameters.Count));
                // A positional record's parameters are its data (its properties), not dependencies to inject.
                if (part.ParameterList is { } primary && part is not RecordDeclarationSyntax)
                {
                    constructors = constructors.Prepend((part, primary.Parameters.Count));
                }

                foreach (var (node, count) in constructors.Where(c => c.Count > MaxConstructorParameters))
                {
                    offenders.Add($"{parts.Key}: {count} constructor parameters ({Where(node)})");
                }
            }
        }

        return offenders;
    }

    private static IEnumerable<string> DockerMentions(SyntaxTree tree)
    {
        var root = tree.GetRoot();
        foreach (var name in root.DescendantNodes().OfType<QualifiedNameSyntax>().Where(n => n.Parent is not QualifiedNameSyntax))
        {
            var text = name.ToString();
            if (text == "Docker.DotNet" || text.StartsWith("Docker.DotNet.", StringComparison.Ordinal))
            {
                yield return $"{Where(name)}: namespace {text}";
            }
        }

        foreach (var token in root.DescendantTokens())
        {
            if (token.IsKind(SyntaxKind.IdentifierToken) && DockerTypeName().IsMatch(token.ValueText))
            {
                yield return $"{Where(token.Parent!)}: name {token.ValueText}";
            }
            else if (token.IsKind(SyntaxKind.StringLiteralToken) || token.IsKind(SyntaxKind.InterpolatedStringTextToken))
            {
                var text = token.ValueText;
                if (DockerCommandLine().IsMatch(text) || (text == "docker" && StartsAProcess(token)))
                {
                    yield return $"{Where(token.Parent!)}: docker command \"{text}\"";
                }
            }
        }
    }

    /// <summary><c>"docker"</c> as the program of a process (<c>new ProcessStartInfo("docker", …)</c>, <c>FileName = "docker"</c>, <c>Process.Start("docker")</c>).</summary>
    private static bool StartsAProcess(SyntaxToken token)
    {
        var literal = token.Parent;
        return literal?.Parent switch
        {
            ArgumentSyntax { Parent.Parent: ObjectCreationExpressionSyntax creation } => creation.Type.ToString().EndsWith("ProcessStartInfo", StringComparison.Ordinal),
            ArgumentSyntax { Parent.Parent: InvocationExpressionSyntax invocation } => invocation.Expression.ToString().EndsWith("Process.Start", StringComparison.Ordinal),
            AssignmentExpressionSyntax { Left: IdentifierNameSyntax { Identifier.ValueText: "FileName" } } => true,
            _ => false,
        };
    }

    private static int LineCount(SyntaxNode node)
    {
        var span = node.GetLocation().GetLineSpan();
        return span.EndLinePosition.Line - span.StartLinePosition.Line + 1;
    }

    private static string FullName(TypeDeclarationSyntax type)
    {
        var names = type.AncestorsAndSelf().Select(node => node switch
        {
            TypeDeclarationSyntax t => t.Identifier.ValueText + (t.TypeParameterList is { } p ? $"`{p.Parameters.Count}" : ""),
            BaseNamespaceDeclarationSyntax n => n.Name.ToString(),
            _ => null,
        }).OfType<string>().Reverse();
        return string.Join('.', names);
    }

    private static string Where(SyntaxNode node)
    {
        var span = node.GetLocation().GetLineSpan();
        var path = span.Path.StartsWith(Repository, StringComparison.Ordinal) ? Path.GetRelativePath(Repository, span.Path) : span.Path;
        return $"{path}:{span.StartLinePosition.Line + 1}";
    }

    private static IEnumerable<SyntaxTree> Sources(string directory) =>
        Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(file => CSharpSyntaxTree.ParseText(File.ReadAllText(file), path: file));

    private void Report(IReadOnlyCollection<string> offenders)
    {
        foreach (var offender in offenders)
        {
            output.WriteLine(offender);
        }
    }

    private static string SourceDirectory([CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;

    /// <summary>A type whose name begins with Docker (DockerClient, DockerEngineOptions); <c>AddDockerEngine</c> does not.</summary>
    [GeneratedRegex("^Docker[A-Z_]")]
    private static partial Regex DockerTypeName();

    /// <summary>A docker command line: <c>docker build …</c>, <c>docker run …</c>, <c>docker image inspect …</c>.</summary>
    [GeneratedRegex(@"(^|[\s;&|'""(])docker\s+(-[-a-zA-Z]|build|buildx|run|exec|image|images|ps|rm|rmi|pull|push|tag|inspect|network|volume|container|compose|info|version|save|load|cp|start|stop|kill|logs|create|system|events)\b")]
    private static partial Regex DockerCommandLine();
}
