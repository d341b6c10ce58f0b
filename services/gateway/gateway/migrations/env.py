from gateway.adapters.tables import metadata
from marktplatz_shared.migrations import run_env

run_env(metadata)
