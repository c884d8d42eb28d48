using System.Text.Json.Nodes;

namespace Polydev.Server.Sandboxes.Nomad;

/// <summary>A placement rule as the job API takes it: <c>{"LTarget","Operand","RTarget"}</c>, written <c>${attr.x} = y</c> in settings.</summary>
public sealed record NomadConstraint(string Attribute, string Operator, string Value)
{
    private static readonly string[] Operators = ["=", "!=", ">", ">=", "<", "<=", "regexp", "set_contains", "set_contains_any", "version", "semver", "is_set", "is_not_set", "distinct_hosts"];

    /// <summary>Reads <c>attribute operator value</c> (the value may hold spaces; <c>is_set</c> needs none).</summary>
    public static NomadConstraint Parse(string text)
    {
        var parts = text.Trim().Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length >= 2 && Operators.Contains(parts[1]) && (parts.Length == 3 || parts[1] is "is_set" or "is_not_set" or "distinct_hosts"))
        {
            return new NomadConstraint(parts[0], parts[1], parts.Length == 3 ? parts[2] : "");
        }

        throw new InvalidOperationException(
            $"Sandboxes:Nomad:Constraints: '{text}' is not 'attribute operator value' with an operator of {string.Join(", ", Operators)} (e.g. '${{node.class}} = sandbox').");
    }

    public JsonObject ToJson() => new() { ["LTarget"] = Attribute, ["Operand"] = Operator, ["RTarget"] = Value };
}
