// DuckDB converting NDJSON to Parquet (zstd): the alternative usher export is timed against.
// Usage: node duckdb-copy.mjs IN.ndjson OUT.parquet
import { DuckDBInstance } from "@duckdb/node-api";

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  console.error("usage: node duckdb-copy.mjs IN.ndjson OUT.parquet");
  process.exit(2);
}
const q = (s) => "'" + s.replaceAll("'", "''") + "'";
const db = await DuckDBInstance.create(":memory:");
const con = await db.connect();
await con.run(`COPY (SELECT * FROM read_ndjson(${q(input)})) TO ${q(output)} (FORMAT parquet, COMPRESSION zstd)`);
