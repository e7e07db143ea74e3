# Extra installs for perso-cli's tests, run by .ci/setup (idempotent).
# The DuckDB test runs the SQL that `perso profiles --emit-sql` writes; DuckDB's Rust
# crate would compile C++ for too long on 2 cores, so the test uses the PyPI wheel,
# pinned, with the same `python3` the test calls.
PERSO_DUCKDB_VERSION="1.4.4"
if ! python3 -c "import duckdb, sys; sys.exit(0 if duckdb.__version__ == '$PERSO_DUCKDB_VERSION' else 1)" 2>/dev/null; then
  echo "perso-cli: installing duckdb==$PERSO_DUCKDB_VERSION (PyPI) for the SQL test"
  python3 -m pip install --quiet --disable-pip-version-check "duckdb==$PERSO_DUCKDB_VERSION" \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "duckdb==$PERSO_DUCKDB_VERSION"
fi
