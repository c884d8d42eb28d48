namespace Polydev.Crypto; internal static class Placeholder {}
