# Extra installs for perso-cli's tests, run by .ci/setup (idempotent: each step is
# skipped when its tool is there at the pinned version).
# - DuckDB (PyPI wheel; its Rust crate would compile C++ for too long on 2 cores) runs
#   the SQL that `perso profiles --emit-sql` and `perso report --emit-sql` write.
# - scipy (with numpy) is the independent implementation the report's interval maths
#   are checked against.
# - PySpark in local mode and a Java 17 runtime (Debian's package) run the same SQL on
#   Apache Spark. pyspark 4.0 needs Java 17 or newer.
# All with the same `python3` the tests call.
PERSO_DUCKDB_VERSION="1.4.4"
PERSO_SCIPY_VERSION="1.17.1"
PERSO_NUMPY_VERSION="2.3.5"
PERSO_PYSPARK_VERSION="4.0.1"

pip_install() {
  python3 -m pip install --quiet --disable-pip-version-check "$@" \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$@"
}

has_version() { # module version
  python3 -c "import $1, sys; sys.exit(0 if $1.__version__ == '$2' else 1)" 2>/dev/null
}

if ! has_version duckdb "$PERSO_DUCKDB_VERSION"; then
  echo "perso-cli: installing duckdb==$PERSO_DUCKDB_VERSION (PyPI) for the SQL tests"
  pip_install "duckdb==$PERSO_DUCKDB_VERSION"
fi

if ! has_version scipy "$PERSO_SCIPY_VERSION" || ! has_version numpy "$PERSO_NUMPY_VERSION"; then
  echo "perso-cli: installing scipy==$PERSO_SCIPY_VERSION numpy==$PERSO_NUMPY_VERSION (PyPI) for the stats reference test"
  pip_install "scipy==$PERSO_SCIPY_VERSION" "numpy==$PERSO_NUMPY_VERSION"
fi

if ! has_version pyspark "$PERSO_PYSPARK_VERSION"; then
  echo "perso-cli: installing pyspark==$PERSO_PYSPARK_VERSION (PyPI, ~320 MB with its jars) for the Spark test"
  pip_install "pyspark==$PERSO_PYSPARK_VERSION"
fi

java_major() {
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1
}
if [ "$(java_major 2>/dev/null || echo 0)" -lt 17 ] 2>/dev/null || ! command -v java >/dev/null; then
  echo "perso-cli: installing openjdk-17-jre-headless (apt) for the Spark test"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq openjdk-17-jre-headless >/dev/null
fi
# PySpark starts `java` from PATH (Debian's alternatives link it), so no JAVA_HOME is
# needed; this script runs as `bash ci-setup.sh`, so an export here would not reach the
# tests anyway.
command -v java >/dev/null || { echo "perso-cli: java is still missing" >&2; exit 1; }
