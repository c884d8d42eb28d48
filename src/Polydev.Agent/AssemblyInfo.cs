// The agent runs only in Linux sandboxes (tmpfs home, Unix file modes, POSIX signals).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
