using System.Net;
using Polydev.Client.Api;
using Polydev.Client.Terminal;

namespace Polydev.Client.Vault;

/// <summary>
/// Records sealed before issue 13 bound them (a message to its chat, a credential to its provider) are re-sealed bound,
/// in place, when their owner reads them: from then on the server cannot move or relabel them either. A record that
/// changed meanwhile (409) waits for the next read.
/// </summary>
internal static class LegacyRecords
{
    /// <param name="updates">One update per legacy record, each sending it re-sealed with its revision.</param>
    /// <param name="one">What one is, for the note ("older message of this chat"); <paramref name="many"/> for more.</param>
    /// <param name="boundTo">What each is now bound to, for the note: "it", "its provider".</param>
    public static async Task ResealAsync(IEnumerable<Func<Task>> updates, string one, string many, string boundTo)
    {
        var resealed = 0;
        foreach (var update in updates)
        {
            try
            {
                await update();
                resealed++;
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.Conflict)
            {
            }
        }

        if (resealed > 0)
        {
            Output.Note($"Re-sealed {resealed} {(resealed == 1 ? one : many)} so that each is bound to {boundTo}.");
        }
    }
}
