using Microsoft.Extensions.Options;
using Polydev.Server.Sandboxes;

namespace Polydev.Server.Runtimes;

/// <summary>
/// Every registered runtime kind, with the operator's settings applied: the one place that knows which kinds
/// exist and which provider each serves. Nothing else lists kinds or switches over providers.
/// </summary>
public sealed class RuntimeKinds
{
    private readonly Dictionary<string, RuntimeKind> _kinds = new(StringComparer.Ordinal);

    public RuntimeKinds(IEnumerable<RuntimeKindRegistration> registrations, IOptions<SandboxesOptions> options)
    {
        // A later registration of a name replaces an earlier one (a test may redefine a built-in kind).
        foreach (var registration in registrations)
        {
            _kinds[registration.Kind.Name] = registration.Kind;
        }

        // Environment variables may spell a kind in capitals (POLYDEV_SANDBOXES__RUNTIMES__CLAUDE__…).
        var settings = new Dictionary<string, RuntimeKindOptions>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, kindOptions) in options.Value.Runtimes)
        {
            if (!_kinds.ContainsKey(name.ToLowerInvariant()))
            {
                throw new InvalidOperationException($"Sandboxes:Runtimes:{name} is not a runtime kind; the kinds are {string.Join(", ", _kinds.Keys)}.");
            }

            settings[name] = kindOptions;
        }

        foreach (var name in _kinds.Keys.ToList())
        {
            var kind = _kinds[name].Configure(settings.GetValueOrDefault(name));
            kind.Validate();
            _kinds[name] = kind;
        }

        var twice = _kinds.Values.Where(k => k.Provider is not null).GroupBy(k => k.Provider).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
        {
            throw new InvalidOperationException($"Runtime kinds {string.Join(" and ", twice.Select(k => k.Name))} both serve provider {twice.Key}; one kind serves a provider.");
        }
    }

    public IReadOnlyCollection<RuntimeKind> All => _kinds.Values;

    public IEnumerable<RuntimeKind> Enabled => _kinds.Values.Where(k => k.Enabled);

    /// <summary>The providers some kind serves: what <c>POST /api/v1/executions</c> accepts.</summary>
    public IEnumerable<string> Providers => _kinds.Values.Select(k => k.Provider).OfType<string>().Order(StringComparer.Ordinal);

    public RuntimeKind? Find(string name) => _kinds.GetValueOrDefault(name);

    /// <summary>The kind that serves executions of <paramref name="provider"/>, or null.</summary>
    public RuntimeKind? ForProvider(string? provider) =>
        provider is null ? null : _kinds.Values.FirstOrDefault(k => string.Equals(k.Provider, provider, StringComparison.Ordinal));
}

/// <summary>One <see cref="RuntimeKindServices.AddRuntimeKind"/> call, as the container holds it.</summary>
public sealed record RuntimeKindRegistration(RuntimeKind Kind);
