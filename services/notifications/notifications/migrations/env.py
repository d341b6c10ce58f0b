from marktplatz_shared.migrations import run_env
from notifications.adapters.tables import metadata

run_env(metadata)
