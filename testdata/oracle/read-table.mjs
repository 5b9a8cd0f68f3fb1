#!/usr/bin/env node
// Independent reader for usher's export files (sinks/export/format).
//
//   node read-table.mjs parquet|csv|ndjson|arrow FILE
//
// Reads FILE with tools usher did not write and prints one JSON object on stdout:
//
//   {"format": F, "rows": N, "columns": [{"name", "type", "metadata"?}...],
//    "sample": [the first 3 rows as objects, keyed by column name],
//    "row_groups": G (parquet only), "batches": B (arrow only)}
//
// Readers:
//   parquet  DuckDB read_parquet; types are DuckDB's (VARCHAR, BOOLEAN, BIGINT, ...);
//            row_groups counts the row groups in parquet_metadata.
//   csv      DuckDB read_csv with header=true and an explicit RFC 4180 dialect (',' delimiter,
//            '"' quote and escape) and all_varchar=true: every cell comes back as the text
//            in the file; empty cells come back as null.
//   ndjson   DuckDB read_ndjson with maximum_depth=1: every key becomes a column of DuckDB's
//            JSON type (reported as type "JSON"), and the sample holds each value exactly as parsed (strings as strings,
//            numbers as numbers with all their digits, objects as objects); a key absent from
//            a line is null.
//   arrow    apache-arrow tableFromIPC on the IPC file; types are apache-arrow's (Utf8, Bool,
//            Int64, ...), metadata is each field's metadata; batches is the number of record
//            batches in the file's footer (a stream-format file is rejected).
//            Compressed IPC files need a codec apache-arrow does not ship, so they fail.
// In the sample, 64-bit integers (BIGINT / Int64) are printed as decimal strings so no digit is
// lost; nulls are null.
//
// Exit status: 0 on success, 1 when the reader rejects the file, 2 on usage errors, 3 when the
// npm modules cannot be loaded (callers treat that as "oracle unavailable").
//
// Modules are loaded from $USHER_ORACLE_NODE_MODULES when set (a node_modules folder, or a folder
// containing one), otherwise by normal resolution from this script's directory
// (npm install --prefix testdata/oracle).

import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const EXIT_READ = 1;
const EXIT_USAGE = 2;
const EXIT_UNAVAILABLE = 3;
const SAMPLE_ROWS = 3;

function load(name) {
  const nm = process.env.USHER_ORACLE_NODE_MODULES;
  try {
    if (nm) {
      const base = path.resolve(nm);
      const root = [base, path.join(base, "node_modules")].find((d) =>
        existsSync(path.join(d, ...name.split("/"), "package.json")),
      );
      if (!root) {
        throw new Error(`${name} not found under USHER_ORACLE_NODE_MODULES=${nm}`);
      }
      const req = createRequire(path.join(root, "noop.js"));
      return req(req.resolve(name, { paths: [root] }));
    }
    return createRequire(import.meta.url)(name);
  } catch (err) {
    process.stderr.write(
      `read-table: cannot load ${name}: ${err.message}\n(install with: npm install --prefix testdata/oracle)\n`,
    );
    process.exit(EXIT_UNAVAILABLE);
  }
}

// sqlString quotes s as a SQL string literal.
function sqlString(s) {
  return "'" + s.replaceAll("'", "''") + "'";
}

async function duckdb(query, countQuery, extraQuery) {
  const { DuckDBInstance } = load("@duckdb/node-api");
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    const count = await conn.runAndReadAll(countQuery);
    const rows = Number(count.getRowsJson()[0][0]);
    const reader = await conn.runAndReadAll(`${query} LIMIT ${SAMPLE_ROWS}`);
    const names = reader.columnNames();
    const types = reader.columnTypes();
    const columns = names.map((name, i) => ({ name, type: types[i].alias ?? types[i].toString() }));
    const isJSON = types.map((t) => t.alias === "JSON");
    // getRowsJson renders every DuckDB value losslessly as JSON (BIGINT as a string). Values of
    // the JSON type are JSON text: embed that text as is rather than JSON.parse it, so big
    // numbers keep their digits.
    const sample = reader.getRowsJson().map((row) => {
      const parts = row.map((v, i) => {
        const value = v === null ? "null" : isJSON[i] ? v : JSON.stringify(v);
        return JSON.stringify(names[i]) + ":" + value;
      });
      return "{" + parts.join(",") + "}";
    });
    let extra = {};
    if (extraQuery) {
      const r = await conn.runAndReadAll(extraQuery);
      extra = r.getRowObjectsJson()[0];
      for (const k of Object.keys(extra)) extra[k] = Number(extra[k]);
    }
    return { rows, columns, sampleText: sample, extra };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function arrowTable(file) {
  const arrow = load("apache-arrow");
  const buf = readFileSync(file);
  // The footer says whether this is the IPC file format (not the stream format) and how many
  // record batches it holds.
  const reader = arrow.RecordBatchReader.from(buf);
  reader.open();
  if (!reader.isFile()) throw new Error(`${file} is not in the Arrow IPC file format`);
  const batches = reader.numRecordBatches;
  const table = arrow.tableFromIPC(buf);
  const columns = table.schema.fields.map((f) => {
    const c = { name: f.name, type: String(f.type) };
    if (f.metadata && f.metadata.size > 0) c.metadata = Object.fromEntries(f.metadata);
    return c;
  });
  const sample = [];
  for (let i = 0; i < Math.min(SAMPLE_ROWS, table.numRows); i++) {
    const row = {};
    for (const f of table.schema.fields) {
      let v = table.getChild(f.name).get(i);
      if (typeof v === "bigint") v = v.toString();
      row[f.name] = v ?? null;
    }
    sample.push(JSON.stringify(row));
  }
  return { rows: table.numRows, columns, sampleText: sample, extra: { batches } };
}

async function main() {
  const [format, file, ...rest] = process.argv.slice(2);
  if (!format || !file || rest.length > 0) {
    process.stderr.write("usage: node read-table.mjs parquet|csv|ndjson|arrow FILE\n");
    process.exit(EXIT_USAGE);
  }
  if (!existsSync(file)) {
    process.stderr.write(`read-table: ${file}: no such file\n`);
    process.exit(EXIT_USAGE);
  }
  const f = sqlString(path.resolve(file));
  let res;
  switch (format) {
    case "parquet":
      res = await duckdb(
        `SELECT * FROM read_parquet(${f})`,
        `SELECT count(*) FROM read_parquet(${f})`,
        `SELECT count(DISTINCT row_group_id) AS row_groups FROM parquet_metadata(${f})`,
      );
      break;
    case "csv": {
      const src = `read_csv(${f}, header = true, all_varchar = true, delim = ',', quote = '"', escape = '"', auto_detect = true)`;
      res = await duckdb(`SELECT * FROM ${src}`, `SELECT count(*) FROM ${src}`);
      break;
    }
    case "ndjson": {
      const src = `read_ndjson(${f}, maximum_depth = 1)`;
      res = await duckdb(`SELECT * FROM ${src}`, `SELECT count(*) FROM ${src}`);
      break;
    }
    case "arrow":
      res = arrowTable(file);
      break;
    default:
      process.stderr.write(`read-table: unknown format ${JSON.stringify(format)} (want parquet, csv, ndjson or arrow)\n`);
      process.exit(EXIT_USAGE);
  }
  const head = JSON.stringify({ format, rows: res.rows, columns: res.columns, ...res.extra });
  process.stdout.write(head.slice(0, -1) + ',"sample":[' + res.sampleText.join(",") + "]}\n");
}

main().catch((err) => {
  process.stderr.write(`read-table: ${err && err.message ? err.message : err}\n`);
  process.exit(EXIT_READ);
});
