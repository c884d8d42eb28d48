// A rough strength estimate for a new password, the same as src/Polydev.Client/Terminal/PasswordStrength.cs (with
// the same test cases): bits from its length and the kinds of characters in it, none for the passwords everyone tries
// first, little for one character repeated or a run like "abcd" or "1234". Advice only: both clients refuse only a
// password under eight characters; the KDF's 600,000 rounds make every guess cost, not a strong password.

const common = new Set([
  "password", "password1", "password123", "12345678", "123456789", "1234567890", "qwertyuiop", "qwerty123",
  "iloveyou", "sunshine", "princess", "football", "baseball", "welcome1", "admin123", "letmein1", "trustno1",
  "passw0rd", "p@ssw0rd", "11111111", "00000000", "abc12345", "abcd1234", "qwertyui", "1q2w3e4r", "zaq12wsx",
  "starwars", "dragon12", "monkey12", "changeme",
]);

export interface Strength {
  readonly bits: number;
  readonly word: "very weak" | "weak" | "fair" | "strong" | "very strong";
}

export function passwordStrength(password: string): Strength {
  const bits = estimateBits(password);
  const word = bits < 28 ? "very weak" : bits < 36 ? "weak" : bits < 60 ? "fair" : bits < 80 ? "strong" : "very strong";
  return { bits, word };
}

function estimateBits(password: string): number {
  // UTF-16 code units, as the C# client counts (its string indexer).
  if (password.length === 0 || common.has(password.toLowerCase())) return 0;
  const has = (test: (c: number) => boolean) => [...password].some((ch) => {
    for (let i = 0; i < ch.length; i++) if (test(ch.charCodeAt(i))) return true;
    return false;
  });
  const pool = (has((c) => c >= 97 && c <= 122) ? 26 : 0) + (has((c) => c >= 65 && c <= 90) ? 26 : 0)
    + (has((c) => c >= 48 && c <= 57) ? 10 : 0) + (has((c) => c < 128 && !isAsciiLetterOrDigit(c)) ? 33 : 0)
    + (has((c) => c >= 128) ? 100 : 0);
  // Whole millibits, so both clients' floating point gives the same answer.
  const perCharacter = Math.round(Math.log2(pool) * 1000);
  let millibits = perCharacter;
  for (let i = 1; i < password.length; i++) {
    const step = password.charCodeAt(i) - password.charCodeAt(i - 1);
    millibits += step === 0 || step === 1 || step === -1 ? 1000 : perCharacter;
  }
  return Math.floor(millibits / 1000);
}

function isAsciiLetterOrDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}
