#!/usr/bin/env node
// run-script.mjs runs one generated Auth0 custom-database script (login.js or get_user.js) in a
// node:vm sandbox shaped like Auth0's: globals fetch, AbortController, setTimeout, clearTimeout,
// console, a read-only `configuration` object and the error classes WrongUsernameOrPasswordError,
// ValidationError and UnauthorizedError. It needs no npm modules.
//
// Usage:
//   node run-script.mjs SCRIPT.js FUNCTION CONFIG_JSON [ARG...]
//
//   FUNCTION     login or getUser; the script must be exactly one function of that name
//                (Auth0 evaluates the script text as a single function).
//   CONFIG_JSON  the configuration object, e.g. '{"USHER_URL":"http://…","USHER_TOKEN":"…"}'
//   ARG...       the string arguments before the callback: login USER PASSWORD, getUser EMAIL.
//
// Prints one JSON line on stdout describing what the callback received:
//   {"error": null | {"name","message"}, "profile": object | null, "argc": N, "calls": N, "ms": N}
// argc is the number of arguments the callback got (callback(null) → 1). The script's console
// output goes to stderr. Exit status: 0 when the callback was called exactly once, 1 when it
// was never called (within 25 s) or called more than once, 2 on usage or evaluation errors.
import fs from 'node:fs';
import vm from 'node:vm';
import util from 'node:util';

const HARNESS_DEADLINE_MS = 25000;

function usage(msg) {
  process.stderr.write(`run-script: ${msg}\nusage: node run-script.mjs SCRIPT.js login|getUser CONFIG_JSON [ARG...]\n`);
  process.exit(2);
}

const [scriptPath, fnName, configJSON, ...args] = process.argv.slice(2);
if (!scriptPath || !fnName || configJSON === undefined) usage('missing arguments');
if (fnName !== 'login' && fnName !== 'getUser') usage(`unknown function ${fnName}`);
const arity = { login: 2, getUser: 1 }[fnName];
if (args.length !== arity) usage(`${fnName} takes ${arity} argument(s) before the callback, got ${args.length}`);
let configuration;
try {
  configuration = Object.freeze(JSON.parse(configJSON));
} catch (e) {
  usage(`CONFIG_JSON: ${e.message}`);
}
const source = fs.readFileSync(scriptPath, 'utf8');

const sandboxConsole = {};
for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
  sandboxConsole[level] = (...a) => process.stderr.write(util.format(...a) + '\n');
}

const context = vm.createContext({
  fetch, AbortController, AbortSignal, setTimeout, clearTimeout,
  console: sandboxConsole, configuration,
});
// Auth0-like error classes, defined inside the sandbox so they extend its Error.
vm.runInContext(`
  class WrongUsernameOrPasswordError extends Error {
    constructor(email, message) { super(message); this.name = 'WrongUsernameOrPasswordError'; this.email = email; }
  }
  class ValidationError extends Error {
    constructor(code, message) { super(message); this.name = 'ValidationError'; this.code = code; }
  }
  class UnauthorizedError extends Error {
    constructor(message) { super(message); this.name = 'UnauthorizedError'; }
  }
  globalThis.WrongUsernameOrPasswordError = WrongUsernameOrPasswordError;
  globalThis.ValidationError = ValidationError;
  globalThis.UnauthorizedError = UnauthorizedError;
`, context);

// Auth0 evaluates the script text as one function: compile it as a parenthesised expression,
// which fails for anything other than a single function (or other single expression).
let fn;
try {
  new vm.Script(source, { filename: scriptPath }); // also valid as a plain script
  fn = vm.runInContext(`(${source}\n)`, context, { filename: scriptPath });
} catch (e) {
  usage(`evaluating ${scriptPath}: ${e.message}`);
}
if (typeof fn !== 'function') usage(`${scriptPath} does not evaluate to a function`);
if (fn.name !== fnName) usage(`${scriptPath} defines ${fn.name || 'an anonymous function'}, want ${fnName}`);
if (fn.length !== arity + 1) usage(`${fnName} declares ${fn.length} parameters, want ${arity + 1}`);

const started = Date.now();
const calls = [];
let finish;
const done = new Promise((resolve) => { finish = resolve; });
const callback = (...cbArgs) => {
  calls.push({ args: cbArgs, ms: Date.now() - started });
  finish();
};

function describeError(err) {
  if (err === null || err === undefined) return null;
  if (typeof err === 'object') return { name: String(err.name), message: String(err.message) };
  return { name: typeof err, message: String(err) };
}

let thrown = null;
const ran = Promise.resolve()
  .then(() => fn(...args, callback))
  .catch((e) => { thrown = e; });
const deadline = new Promise((resolve) => setTimeout(resolve, HARNESS_DEADLINE_MS).unref());
await Promise.race([done, deadline]);
// Let the function settle (briefly) so a second callback call is noticed.
await Promise.race([ran, new Promise((resolve) => setTimeout(resolve, 200).unref())]);

const out = { error: null, profile: null, argc: 0, calls: calls.length, ms: null };
if (calls.length > 0) {
  const [err, profile] = calls[0].args;
  out.error = describeError(err);
  out.profile = profile === undefined ? null : profile;
  out.argc = calls[0].args.length;
  out.ms = calls[0].ms;
}
if (thrown) out.thrown = describeError(thrown);
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(calls.length === 1 ? 0 : 1);
