using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Polydev.Server.Accounts;

/// <summary>
/// Sessions a bearer token was recently found to stand for, by the token's hash, so that a request does not cost a
/// query to <c>auth_sessions</c> (issue 19: the query was a second database round trip on every vault request).
/// What is kept is only what the database said: whether the session is revoked or expired is still decided on every
/// request by <see cref="BearerTokenValidator"/>.
/// </summary>
/// <remarks>
/// Revocation stays immediate: every change this server makes to sessions or to a user's key-rotation flag calls
/// <see cref="ForgetAll"/> once it is committed, and a lookup that raced with such a change is not kept (the
/// generation it started in has passed). A change made behind the server's back — another server on the same database,
/// an operator's SQL — is seen within <see cref="AccountsOptions.SessionCacheLifetime"/>, after which an entry is read
/// again. Only sessions that exist are kept, never unknown tokens, and at most <see cref="MaxEntries"/> of them.
/// </remarks>
public sealed class SessionCache(IOptions<AccountsOptions> options, TimeProvider clock)
{
    /// <summary>Beyond this many live tokens in use at once the cache starts over: a bound on memory, not a limit on users.</summary>
    public const int MaxEntries = 100_000;

    private readonly ConcurrentDictionary<TokenHash, Entry> _entries = new();
    private readonly Lock _gate = new();
    private long _generation;

    /// <summary>Taken before reading a session from the database and handed back to <see cref="Keep"/>.</summary>
    public long Generation => Volatile.Read(ref _generation);

    /// <summary>The session behind <paramref name="hash"/> if it was read less than the cache's lifetime ago.</summary>
    public SessionRecord? Find(TokenHash hash)
    {
        if (_entries.TryGetValue(hash, out var entry))
        {
            if (clock.GetTimestamp() - entry.ReadAt < Lifetime)
            {
                return entry.Session;
            }

            _entries.TryRemove(new KeyValuePair<TokenHash, Entry>(hash, entry));
        }

        return null;
    }

    /// <summary>Keeps <paramref name="session"/>, read from the database in <paramref name="generation"/>, unless sessions changed since.</summary>
    public void Keep(TokenHash hash, SessionRecord session, long generation)
    {
        if (Lifetime <= 0)
        {
            return;
        }

        lock (_gate)
        {
            if (generation != _generation)
            {
                return;
            }

            if (_entries.Count >= MaxEntries)
            {
                _entries.Clear();
            }

            _entries[hash] = new Entry(session, clock.GetTimestamp());
        }
    }

    /// <summary>Replaces the kept <paramref name="current"/> by <paramref name="updated"/> (its last use recorded), if it is still the one kept.</summary>
    public void Replace(TokenHash hash, SessionRecord current, SessionRecord updated)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(hash, out var entry) && ReferenceEquals(entry.Session, current))
            {
                _entries[hash] = entry with { Session = updated };
            }
        }
    }

    /// <summary>
    /// Drops every kept session. Called after any committed change to sessions or to a user's key-rotation flag; such
    /// changes are rare (sign-out, a revoked token, a new password, a key rotation, a deleted account), so forgetting
    /// all rather than one user's costs one query per active token afterwards.
    /// </summary>
    public void ForgetAll()
    {
        lock (_gate)
        {
            _generation++;
            _entries.Clear();
        }
    }

    private long Lifetime => (long)(options.Value.SessionCacheLifetime.TotalSeconds * clock.TimestampFrequency);

    private sealed record Entry(SessionRecord Session, long ReadAt);
}

/// <summary>The SHA-256 of a bearer token (what <c>auth_sessions.token_hash</c> holds) as a dictionary key.</summary>
public readonly record struct TokenHash(UInt128 First, UInt128 Second)
{
    /// <summary>The hash of <paramref name="token"/>, made on the stack: <see cref="BearerTokens.LooksValid"/> bounds its length.</summary>
    public static TokenHash Of(string token)
    {
        Span<byte> ascii = stackalloc byte[Encoding.ASCII.GetByteCount(token)];
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(ascii[..Encoding.ASCII.GetBytes(token, ascii)], hash);
        return new TokenHash(MemoryMarshal.Read<UInt128>(hash), MemoryMarshal.Read<UInt128>(hash[16..]));
    }

    /// <summary>The hash's bytes, as <see cref="BearerTokens.Hash"/> makes them.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[SHA256.HashSizeInBytes];
        MemoryMarshal.Write(bytes, First);
        MemoryMarshal.Write(bytes.AsSpan(16), Second);
        return bytes;
    }
}
