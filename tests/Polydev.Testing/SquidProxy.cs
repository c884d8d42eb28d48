using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Polydev.Testing;

/// <summary>
/// A real Squid (Debian's <c>squid</c>) on its own loopback port, from a generated
/// <c>squid.conf</c> in a temp directory: a forward proxy standing in for Decodo. With a user
/// name it requires Basic auth (<c>basic_ncsa_auth</c> over an htpasswd file); its access log
/// records the user each request came as. No caching; CONNECT to any port.
/// scripts/test installs Squid; without it this throws (tests fail, they do not skip).
/// </summary>
public sealed class SquidProxy : IAsyncDisposable
{
    private const string AccessLogName = "access.log";
    private readonly Process _process;
    private int _passwordGeneration;

    private SquidProxy(Process process, string directory, int port, string? username, string? password)
    {
        _process = process;
        Directory = directory;
        Port = port;
        Username = username;
        Password = password;
    }

    public string Directory { get; }

    public int Port { get; }

    /// <summary>The one user Squid accepts; null when it asks for no credentials.</summary>
    public string? Username { get; }

    public string? Password { get; }

    public int ProcessId => _process.Id;

    /// <summary><c>http://127.0.0.1:port</c>.</summary>
    public Uri Address => new($"http://127.0.0.1:{Port}");

    /// <param name="username">The user to require (Basic auth); null for an open proxy.</param>
    public static async Task<SquidProxy> StartAsync(string? username = null, string? password = null)
    {
        var squid = Locate("squid", "/usr/sbin/squid")
            ?? throw new InvalidOperationException("Squid is not installed (no squid in PATH or /usr/sbin). Run the tests through scripts/test, which installs it, or: apt-get install squid apache2-utils curl");
        var directory = System.IO.Directory.CreateTempSubdirectory("polydev-squid-").FullName;
        var port = FreePort();
        var lines = new List<string>
        {
            $"http_port 127.0.0.1:{port}",
            $"pid_filename {directory}/squid.pid",
            $"cache_log {directory}/cache.log",
            "logformat polydev %ts.%03tu %>a user=%un method=%rm url=%ru status=%>Hs bytes=%<st",
            $"access_log stdio:{directory}/{AccessLogName} polydev",
            "buffered_logs off",
            "strip_query_terms off",
            "cache deny all",
            "cache_mem 8 MB",
            $"coredump_dir {directory}",
            $"netdb_filename stdio:{directory}/netdb.state",
            "visible_hostname polydev-test-squid",
            "shutdown_lifetime 0 seconds",
            "forwarded_for delete",
            "via off",
            "icp_port 0",
            "pinger_enable off",
            "htcp_port 0",
            "max_filedescriptors 16384",
            "client_persistent_connections on",
            "server_persistent_connections on",
        };

        if (username is not null)
        {
            var passwords = Path.Combine(directory, "passwd");
            await WriteHtpasswdAsync(passwords, username, password ?? "");
            lines.AddRange(
            [
                $"auth_param basic program /usr/lib/squid/basic_ncsa_auth {passwords}",
                "auth_param basic children 3 startup=1 idle=1",
                "auth_param basic realm polydev-test-upstream",
                "auth_param basic credentialsttl 2 hours",
                "acl authed proxy_auth REQUIRED",
                "http_access allow authed",
            ]);
        }
        else
        {
            lines.Add("http_access allow all");
        }

        lines.Add("http_access deny all");
        var config = Path.Combine(directory, "squid.conf");
        await File.WriteAllLinesAsync(config, lines);

        // As root, Squid drops to the 'proxy' user: it must read the config and write the logs.
        if (geteuid() == 0)
        {
            await RunAsync("chown", ["-R", "proxy:proxy", directory]);
        }

        var start = new ProcessStartInfo(squid)
        {
            ArgumentList = { "-N", "-f", config, "-n", $"polydevtest{port}" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("squid did not start");
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var proxy = new SquidProxy(process, directory, port, username, password);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                string text;
                lock (output)
                {
                    text = output.ToString();
                }

                throw new InvalidOperationException($"squid exited at start with code {process.ExitCode}:\n{text}\n{proxy.Tail("cache.log")}");
            }

            if (await AcceptsAsync(port))
            {
                return proxy;
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                await proxy.DisposeAsync();
                throw new InvalidOperationException($"squid did not listen on 127.0.0.1:{port} within 30 s:\n{proxy.Tail("cache.log")}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Adds (or replaces) a user Squid accepts; basic_ncsa_auth rereads its file when it changes.</summary>
    public async Task AddUserAsync(string username, string password)
    {
        if (Username is null)
        {
            throw new InvalidOperationException("This Squid was started without authentication.");
        }

        var passwords = Path.Combine(Directory, "passwd");
        var others = File.ReadAllLines(passwords).Where(l => !l.StartsWith(username + ":", StringComparison.Ordinal)).ToList();
        var single = Path.Combine(Directory, "passwd.new");
        await WriteHtpasswdAsync(single, username, password);
        others.AddRange(File.ReadAllLines(single));
        File.Delete(single);
        // Rewritten in place: the owner (proxy, when root) and the mode stay. The mtime must move on
        // for the helper to reload, even within the same second.
        await File.WriteAllLinesAsync(passwords, others);
        File.SetLastWriteTimeUtc(passwords, DateTime.UtcNow.AddSeconds(Interlocked.Increment(ref _passwordGeneration)));
    }

    /// <summary>The access log so far (one line per finished transaction; a CONNECT logs when its tunnel closes).</summary>
    public string AccessLog => ReadShared(Path.Combine(Directory, AccessLogName));

    /// <summary>Waits until an access-log line satisfies <paramref name="match"/>; returns it.</summary>
    public async Task<string> WaitForAccessLogAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var line = AccessLog.Split('\n').FirstOrDefault(match);
            if (line is not null)
            {
                return line;
            }

            if (deadline.Elapsed > (timeout ?? TimeSpan.FromSeconds(10)))
            {
                throw new TimeoutException($"No matching line in Squid's access log:\n{AccessLog}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Resident memory of the Squid process in bytes (from /proc).</summary>
    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _ = kill(_process.Id, 15);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private string Tail(string name)
    {
        var text = ReadShared(Path.Combine(Directory, name));
        return text.Length > 4000 ? text[^4000..] : text;
    }

    private static string ReadShared(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (FileNotFoundException)
        {
            return "";
        }
    }

    private static async Task WriteHtpasswdAsync(string path, string username, string password)
    {
        if (Locate("htpasswd", "/usr/bin/htpasswd") is { } htpasswd)
        {
            await RunAsync(htpasswd, ["-bc", path, username, password]);
            return;
        }

        if (Locate("openssl", "/usr/bin/openssl") is { } openssl)
        {
            var hash = (await RunAsync(openssl, ["passwd", "-apr1", "-stdin"], password + "\n")).Trim();
            await File.WriteAllTextAsync(path, $"{username}:{hash}\n");
            return;
        }

        throw new InvalidOperationException("Neither htpasswd (apache2-utils) nor openssl is installed to make Squid's password file; scripts/test installs apache2-utils.");
    }

    private static async Task<string> RunAsync(string file, string[] arguments, string? input = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} failed ({process.ExitCode}): {await stderr}");
        }

        return await stdout;
    }

    private static string? Locate(string name, string fallback)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return File.Exists(fallback) ? fallback : null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [DllImport("libc")]
    private static extern uint geteuid();
}
