namespace Polydev.Client; internal static class Placeholder {}
