"""Answer a folder of `sprout queries --dialect duckdb` with DuckDB.

    python3 duckdb_results.py WAREHOUSE QUERIES_DIR SCHEMA.json

Runs every query that QUERIES_DIR/queries.json lists over the Parquet tables
of a sprout warehouse (each table a folder of Parquet parts), and writes each
result, in the query's order, to the Parquet file queries.json names for it.
SCHEMA.json is `sprout schema --format json`: a declared table the warehouse
holds no part of (a lookup not ingested) is created empty with its columns,
as sprout itself registers it. Then:

    sprout measures --query-results QUERIES_DIR --period ... (same settings)

This is what the test `exchange::duckdb_results_give_the_same_tables` runs,
and an example for other engines: any engine that runs the SQL and writes
Parquet will do.
"""

import json
import pathlib
import sys

import duckdb

TYPES = {"text": "VARCHAR", "date": "DATE", "year_month": "DATE",
         "integer": "BIGINT", "decimal": "DOUBLE", "boolean": "BOOLEAN"}


def main(warehouse, queries, schema):
    warehouse, queries = pathlib.Path(warehouse), pathlib.Path(queries)
    manifest = json.loads((queries / "queries.json").read_text())
    declared = json.loads(pathlib.Path(schema).read_text())["tables"]
    con = duckdb.connect()
    con.execute("SET threads = 2")
    for table in declared:
        parts = warehouse / table["name"]
        if parts.is_dir() and any(parts.glob("*.parquet")):
            con.execute(f"CREATE VIEW {table['name']} AS "
                        f"SELECT * FROM read_parquet('{parts}/*.parquet')")
        else:
            columns = ", ".join(f'"{c["name"]}" {TYPES[c["type"]]}'
                                for c in table["columns"] if c["storage"] == "stored")
            con.execute(f"CREATE TABLE {table['name']} ({columns})")
    for entry in manifest["queries"]:
        sql = (queries / entry["file"]).read_text().strip().rstrip(";")
        con.execute(f"COPY ({sql}) TO '{queries / entry['result']}' (FORMAT parquet)")


if __name__ == "__main__":
    main(*sys.argv[1:4])
