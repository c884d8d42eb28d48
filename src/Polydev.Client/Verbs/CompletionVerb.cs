using System.CommandLine;

namespace Polydev.Client.Verbs;

/// <summary>
/// <c>polydev completion bash|zsh|fish</c>: a completion script for the shell. Each script asks the binary itself what
/// may come next (System.CommandLine's <c>[suggest:N]</c> directive over the typed line), so verbs, options and their
/// fixed values (providers, formats) complete as this very version defines them, with nothing to regenerate.
/// </summary>
internal static class CompletionVerb
{
    public static Command Create(GlobalOptions globals)
    {
        var shell = new Argument<string>("SHELL") { Description = "bash, zsh or fish." };
        shell.AcceptOnlyFromAmong("bash", "zsh", "fish");
        var command = new Command("completion", "Print a completion script: eval \"$(polydev completion bash)\" in ~/.bashrc, zsh and fish alike (see docs/cli.md).") { shell };
        VerbAction.Set(command, globals, context =>
        {
            Console.Out.Write(context.Parse.GetRequiredValue(shell) switch
            {
                "bash" => Bash,
                "zsh" => Zsh,
                _ => Fish,
            });
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private const string Bash = """
        # polydev completion for bash. In ~/.bashrc: eval "$(polydev completion bash)"
        _polydev_complete() {
          local line="${COMP_LINE:0:COMP_POINT}" rest
          # What follows the program's own name is what polydev parses.
          if [[ "$line" =~ ^[^[:space:]]+[[:space:]]+(.*)$ ]]; then rest="${BASH_REMATCH[1]}"; else rest=""; fi
          local IFS=$'\n'
          local -a candidates=($(command polydev "[suggest:${#rest}]" "$rest" 2>/dev/null))
          COMPREPLY=($(compgen -W "${candidates[*]}" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _polydev_complete polydev

        """;

    private const string Zsh = """
        #compdef polydev
        # polydev completion for zsh. In ~/.zshrc: eval "$(polydev completion zsh)" (after compinit)
        _polydev() {
          local line="${BUFFER[1,CURSOR]}" rest=""
          [[ "$line" == *[[:space:]]* ]] && rest="${line#*[[:space:]]}"
          rest="${rest##[[:space:]]#}"
          local -a candidates
          candidates=("${(@f)$(command polydev "[suggest:${#rest}]" "$rest" 2>/dev/null)}")
          compadd -- ${(M)candidates:#${PREFIX}*}
        }
        compdef _polydev polydev

        """;

    private const string Fish = """
        # polydev completion for fish. In ~/.config/fish/config.fish: polydev completion fish | source
        function __polydev_complete
            set -l rest (string replace -r '^\S+\s*' '' -- (commandline -cp))
            command polydev "[suggest:"(string length -- "$rest")"]" "$rest" 2>/dev/null
        end
        complete -c polydev -f -a '(__polydev_complete)'

        """;
}
