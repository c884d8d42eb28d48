namespace Polydev.Server; internal static class Placeholder {}
