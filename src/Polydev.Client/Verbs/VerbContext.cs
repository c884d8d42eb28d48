using System.CommandLine;
using Polydev.Client.Api;
using Polydev.Client.State;
using Polydev.Client.Terminal;

namespace Polydev.Client.Verbs;

/// <summary>What one run of a verb works with: its output, the saved state, and the server to talk to.</summary>
internal sealed class VerbContext(ParseResult parse, GlobalOptions globals, CancellationToken cancellation)
{
    private readonly string? _explicitServer = ServerAddress.Explicit(parse.GetValue(globals.Server));
    private LocalState? _state;
    private bool _stateLoaded;

    public ParseResult Parse { get; } = parse;

    public CancellationToken Cancellation { get; } = cancellation;

    public Output Output { get; } = new(parse.GetValue(globals.Json));

    public StateFile StateFile { get; } = StateFile.Default();

    /// <summary>The saved state, or null when nobody is signed in on this machine.</summary>
    public LocalState? State
    {
        get
        {
            if (!_stateLoaded)
            {
                _state = StateFile.Load();
                _stateLoaded = true;
            }

            return _state;
        }
    }

    /// <summary>Where sign-up, login and recovery go: the URL given on this run, else the saved one, else the default.</summary>
    public string SignInServer => _explicitServer ?? State?.Server ?? ServerAddress.Default;

    public PolydevApi AnonymousApi(string server) => new(server, token: null);

    public LocalState RequireState() =>
        State ?? throw new CliException("you are not signed in on this machine; run `polydev login --email you@example.com` (or `polydev signup`).");

    /// <summary>
    /// The API as the signed-in user. The token is only ever sent to the server that issued it: asking for another
    /// server is an error rather than a leak.
    /// </summary>
    public PolydevApi SignedInApi(out LocalState state)
    {
        state = RequireState();
        if (_explicitServer is not null && !string.Equals(_explicitServer, state.Server, StringComparison.OrdinalIgnoreCase))
        {
            throw new CliException($"you are signed in to {state.Server}, not {_explicitServer}; run `polydev login --server {_explicitServer}` to switch.");
        }

        return new PolydevApi(state.Server, state.Token);
    }

    public void SaveState(LocalState state)
    {
        StateFile.Save(state);
        _state = state;
        _stateLoaded = true;
    }

    public void DeleteState()
    {
        StateFile.Delete();
        _state = null;
        _stateLoaded = true;
    }
}
