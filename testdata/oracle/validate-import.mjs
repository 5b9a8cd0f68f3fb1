#!/usr/bin/env node
// Independent oracle for Auth0 bulk-import files.
//
//   node validate-import.mjs FILE...
//
// Every FILE must be an Auth0 users-import file: a UTF-8 JSON array of user objects, at most
// 512000 bytes (Auth0 answers 413 above that). Each element is validated with ajv against
// auth0-import-user.schema.json (draft 2020-12), which was written from the research notes,
// not from usher's own validator. Users that Auth0 would reject as DUPLICATED_USER (same email,
// user_id or username twice in one file) are reported too.
//
// Output: one line per invalid user, "FILE[index]: instancePath message[; ...]", one line per
// file-level problem, "FILE: message", then "checked N users in M files, K invalid".
// Exit status: 0 when K == 0 and every file is fine, 1 otherwise, 2 on usage errors,
// 3 when the ajv / ajv-formats modules cannot be loaded (callers treat that as "oracle unavailable").
//
// Modules are loaded from $USHER_ORACLE_NODE_MODULES when set (a node_modules folder, or a folder
// containing one), otherwise by normal resolution from this script's directory
// (npm install --prefix testdata/oracle).

import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const MAX_FILE_BYTES = 512000;
const EXIT_UNAVAILABLE = 3;

const here = path.dirname(fileURLToPath(import.meta.url));

function loadModules() {
  const nm = process.env.USHER_ORACLE_NODE_MODULES;
  let load;
  if (nm) {
    const base = path.resolve(nm);
    // Accept either the node_modules folder itself or its parent.
    const root = [base, path.join(base, "node_modules")].find((d) =>
      existsSync(path.join(d, "ajv", "package.json")),
    );
    if (!root) {
      throw new Error(`ajv not found under USHER_ORACLE_NODE_MODULES=${nm}`);
    }
    const req = createRequire(path.join(root, "noop.js"));
    load = (name) => req(req.resolve(name, { paths: [root] }));
  } else {
    const req = createRequire(import.meta.url);
    load = (name) => req(name);
  }
  const ajvMod = load("ajv/dist/2020.js");
  const fmtMod = load("ajv-formats");
  return { Ajv2020: ajvMod.default ?? ajvMod, addFormats: fmtMod.default ?? fmtMod };
}

function describe(err) {
  const where = err.instancePath === "" ? "(root)" : err.instancePath;
  let msg = err.message ?? err.keyword;
  if (err.params && err.params.additionalProperty !== undefined) {
    msg += ` (${JSON.stringify(err.params.additionalProperty)})`;
  }
  if (err.propertyName !== undefined) {
    msg += ` (key ${JSON.stringify(err.propertyName)})`;
  }
  if (err.keyword === "false schema") {
    msg = "property not allowed here";
  } else if (err.keyword === "not" && err.propertyName !== undefined) {
    msg = `key ${JSON.stringify(err.propertyName)} is reserved`;
  } else if (err.keyword === "not" && err.schema && typeof err.schema.description === "string") {
    msg = err.schema.description;
  }
  return `${where} ${msg}`;
}

function formatErrors(errors) {
  // "if" / "propertyNames" errors only say that a sub-schema failed; its own errors carry the detail.
  const useful = errors.filter((e) => e.keyword !== "if" && e.keyword !== "propertyNames");
  const list = useful.length > 0 ? useful : errors;
  const seen = new Set();
  const out = [];
  for (const e of list) {
    const d = describe(e);
    if (!seen.has(d)) {
      seen.add(d);
      out.push(d);
    }
  }
  return out.join("; ");
}

function main(argv) {
  const files = argv.slice(2);
  if (files.length === 0) {
    console.error("usage: node validate-import.mjs FILE...");
    return 2;
  }

  let mods;
  try {
    mods = loadModules();
  } catch (e) {
    console.error(`oracle unavailable: cannot load ajv/ajv-formats: ${e.message}`);
    console.error("install them with: npm install --prefix testdata/oracle");
    return EXIT_UNAVAILABLE;
  }

  let validate;
  try {
    const schema = JSON.parse(readFileSync(path.join(here, "auth0-import-user.schema.json"), "utf8"));
    // Strict mode stays on except strictRequired: the per-algorithm if/then rules name properties
    // ("required": ["keylen", "salt"]) that are declared on the parent schema, not next to "required".
    const ajv = new mods.Ajv2020({ allErrors: true, verbose: true, strict: true, strictRequired: false });
    mods.addFormats(ajv);
    validate = ajv.compile(schema);
  } catch (e) {
    console.error(`oracle schema error: ${e.message}`);
    return 2;
  }

  let users = 0;
  let invalid = 0;
  let filesOK = true;
  const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

  for (const file of files) {
    let buf;
    try {
      buf = readFileSync(file);
    } catch (e) {
      console.log(`${file}: cannot read: ${e.message}`);
      filesOK = false;
      continue;
    }
    if (buf.length > MAX_FILE_BYTES) {
      console.log(`${file}: file is ${buf.length} bytes, Auth0 accepts at most ${MAX_FILE_BYTES}`);
      filesOK = false;
    }
    if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
      console.log(`${file}: file starts with a UTF-8 byte order mark`);
      filesOK = false;
      continue;
    }
    let text;
    try {
      text = utf8.decode(buf);
    } catch (e) {
      console.log(`${file}: not valid UTF-8`);
      filesOK = false;
      continue;
    }
    let data;
    try {
      data = JSON.parse(text);
    } catch (e) {
      console.log(`${file}: not valid JSON: ${e.message}`);
      filesOK = false;
      continue;
    }
    if (!Array.isArray(data)) {
      console.log(`${file}: top-level JSON value must be an array of users, got ${data === null ? "null" : typeof data}`);
      filesOK = false;
      continue;
    }

    // DUPLICATED_USER: "A user with this [email|username|user_id] was already provided."
    // Auth0 lower-cases emails and usernames, so compare those case-insensitively.
    const firstSeen = { email: new Map(), username: new Map(), user_id: new Map() };
    data.forEach((user, i) => {
      users++;
      const problems = [];
      if (!validate(user)) {
        problems.push(formatErrors(validate.errors ?? []));
      }
      if (user !== null && typeof user === "object" && !Array.isArray(user)) {
        for (const field of ["email", "username", "user_id"]) {
          const v = user[field];
          if (typeof v !== "string") continue;
          const k = field === "user_id" ? v : v.toLowerCase();
          const seen = firstSeen[field];
          if (seen.has(k)) {
            problems.push(`/${field} duplicate ${field} ${JSON.stringify(v)} (first at index ${seen.get(k)})`);
          } else {
            seen.set(k, i);
          }
        }
      }
      if (problems.length > 0) {
        invalid++;
        console.log(`${file}[${i}]: ${problems.join("; ")}`);
      }
    });
  }

  console.log(`checked ${users} users in ${files.length} files, ${invalid} invalid`);
  return invalid === 0 && filesOK ? 0 : 1;
}

process.exitCode = main(process.argv);
