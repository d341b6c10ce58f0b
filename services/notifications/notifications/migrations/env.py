from sqlalchemy import MetaData

from marktplatz_shared.migrations import run_env

run_env(MetaData())
