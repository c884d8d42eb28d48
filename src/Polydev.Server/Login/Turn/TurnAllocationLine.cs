using System.Text.RegularExpressions;

namespace Polydev.Server.Login.Turn;

/// <summary>
/// What one line of the embedded coturn's verbose output says about an allocation. Debian's coturn is built without
/// its Prometheus endpoint, so its answers are counted from the lines it prints for each request
/// (<c>session …: realm &lt;…&gt; user &lt;…&gt;: incoming packet ALLOCATE processed, error 486: …</c>). The user name in them
/// (it holds a user id) never reaches a label.
/// </summary>
public static partial class TurnAllocationLine
{
    public const string Ok = "ok";

    /// <summary>401 to a request that carried a user name: wrong, forged or expired credentials (the first, unsigned request's 401 is the normal challenge).</summary>
    public const string Unauthorized = "unauthorized";

    /// <summary>486: the user's or the server's allocation quota (<c>Login:Turn:UserQuota</c>, <c>TotalQuota</c>).</summary>
    public const string Quota = "quota";

    /// <summary>508: no relay port left (<c>Login:Turn:MinRelayPort</c>–<c>MaxRelayPort</c>).</summary>
    public const string Capacity = "capacity";

    /// <summary>Any other error to an ALLOCATE (403 forbidden, 437 mismatch, 440/442 unsupported family or transport, …).</summary>
    public const string Refused = "refused";

    public static IReadOnlyList<string> Outcomes { get; } = [Ok, Unauthorized, Quota, Capacity, Refused];

    /// <summary>The outcome the line reports, or null when it reports none (another request, a challenge, a stale nonce).</summary>
    public static string? Outcome(string line)
    {
        var match = Processed().Match(line);
        if (!match.Success)
        {
            return null;
        }

        var allocate = match.Groups["method"].Value == "ALLOCATE";
        var code = match.Groups["code"].Success ? match.Groups["code"].Value : null;
        return code switch
        {
            null => allocate ? Ok : null,
            // Authentication fails before coturn knows the method, so these lines say "message".
            "401" => match.Groups["user"].Length > 0 ? Unauthorized : null,
            "438" => null,
            _ when !allocate => null,
            "486" => Quota,
            "508" => Capacity,
            _ => Refused,
        };
    }

    [GeneratedRegex(@"^session \d+: (?:origin <[^>]*> )?realm <[^>]*> user <(?<user>[^>]*)>: incoming packet (?<method>\S+) processed, (?:success|error (?<code>\d+))")]
    private static partial Regex Processed();
}
