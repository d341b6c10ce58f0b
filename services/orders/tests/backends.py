"""Which database engines a test runs on (``db_url``/``new_db_url`` run both by default)."""

import pytest

#: for behaviour that does not depend on the database engine: SQLite only, to keep the suite quick
sqlite_only = pytest.mark.parametrize("new_db_url", ["sqlite"], indirect=True)
