namespace Polydev.Contracts; internal static class Placeholder {}
