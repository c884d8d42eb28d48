// Issue 14: the strength estimate, with the cases tests/Polydev.Client.Tests/PasswordStrengthTests.cs checks too, so
// both clients agree.
import assert from "node:assert/strict";
import { test } from "node:test";
import { passwordStrength } from "../src/app/ui/password-strength.ts";

test("the estimate is the CLI's", () => {
  const cases: [string, number, string][] = [
    ["password", 0, "very weak"],
    ["aaaaaaaaaaaa", 15, "very weak"],
    ["abcdefgh1234", 20, "very weak"],
    ["hunter22", 37, "fair"],
    ["x7#Kq!9v", 52, "fair"],
    ["Tr0ub4dor&3", 72, "strong"],
    ["correct horse battery staple", 140, "very strong"],
    ["Zürich-Spaziergang-2026", 174, "very strong"],
  ];
  for (const [password, bits, word] of cases) assert.deepEqual(passwordStrength(password), { bits, word }, password);
});
