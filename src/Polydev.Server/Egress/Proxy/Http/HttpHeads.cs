namespace Polydev.Server.Egress.Proxy;

/// <summary>A parsed request line and header fields.</summary>
internal sealed record RequestHead(string Method, string Target, bool Http11, HttpHeaders Headers);

/// <summary>A parsed status line and header fields.</summary>
internal sealed record ResponseHead(int Status, string Reason, bool Http11, HttpHeaders Headers);
