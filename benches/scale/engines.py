"""Run one measure query with DuckDB or polars over sprout's Parquet warehouse.

Called by run.py, once per engine and query, in its own process so that each
engine's time and peak memory are its own:

    python engines.py duckdb|polars WAREHOUSE QUERY.sql OUT.parquet [SCHEMA.json]

SCHEMA.json is `sprout schema --format json`: a table the warehouse holds no
Parquet part of (a lookup not ingested, such as the ODS names) is registered
empty with its declared columns, as sprout itself registers it.

The query is one of sprout's `queries/*.sql` files with its parameters already
written in as literals (run.py does that, the same way for every engine). The
script prints one JSON line: the seconds spent planning, running and writing
the result to Parquet (after the engine's import, which is not counted), and
the engine's version.
"""

import json
import pathlib
import sys
import time


def tables(warehouse):
    """Every warehouse table: its name and the glob of its Parquet parts."""
    root = pathlib.Path(warehouse)
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if any(folder.glob("*.parquet")):
            yield folder.name, str(folder / "*.parquet")


def empty_tables(warehouse, schema):
    """The declared tables the warehouse has no Parquet part of: (name,
    [(column, sprout type)]) for each stored column."""
    if not schema:
        return []
    present = {name for name, _ in tables(warehouse)}
    declared = json.loads(pathlib.Path(schema).read_text())["tables"]
    return [
        (t["name"], [(c["name"], c["type"]) for c in t["columns"] if c["storage"] == "stored"])
        for t in declared
        if t["name"] not in present
    ]


DUCKDB_TYPES = {"text": "VARCHAR", "date": "DATE", "year_month": "DATE",
                "integer": "BIGINT", "decimal": "DOUBLE", "boolean": "BOOLEAN"}


def run_duckdb(warehouse, sql, out, schema=None):
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect()
    # The same two threads sprout and polars get.
    con.execute("SET threads = 2")
    for name, glob in tables(warehouse):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{glob}')")
    for name, columns in empty_tables(warehouse, schema):
        typed = ", ".join(f'"{c}" {DUCKDB_TYPES[t]}' for c, t in columns)
        con.execute(f"CREATE TABLE {name} ({typed})")
    con.execute(f"COPY ({sql}) TO '{out}' (FORMAT parquet)")
    return time.perf_counter() - started, duckdb.__version__


def run_polars(warehouse, sql, out, schema=None):
    import polars as pl

    types = {"text": pl.Utf8, "date": pl.Date, "year_month": pl.Date,
             "integer": pl.Int64, "decimal": pl.Float64, "boolean": pl.Boolean}
    started = time.perf_counter()
    ctx = pl.SQLContext()
    for name, glob in tables(warehouse):
        ctx.register(name, pl.scan_parquet(glob))
    for name, columns in empty_tables(warehouse, schema):
        ctx.register(name, pl.DataFrame(schema={c: types[t] for c, t in columns}).lazy())
    ctx.execute(sql, eager=False).sink_parquet(out)
    return time.perf_counter() - started, pl.__version__


def main():
    engine, warehouse, query, out = sys.argv[1:5]
    schema = sys.argv[5] if len(sys.argv) > 5 else None
    sql = pathlib.Path(query).read_text()
    run = {"duckdb": run_duckdb, "polars": run_polars}[engine]
    try:
        seconds, version = run(warehouse, sql, out, schema)
        print(json.dumps({"seconds": seconds, "version": version}))
    except Exception as e:  # the engine's own message, for the report
        print(json.dumps({"error": f"{type(e).__name__}: {e}".splitlines()[0][:300]}))


if __name__ == "__main__":
    main()
