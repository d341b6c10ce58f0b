import pytest
from marshmallow import fields

from marktplatz_shared.config import ConfigError, ServiceSettings, expand_env, load_config


def test_env_placeholders_take_the_environment_or_the_default(monkeypatch):
    monkeypatch.setenv("MP_TEST_HOST", "rabbit.example")
    assert expand_env("amqp://${MP_TEST_HOST:localhost}/ ${MP_TEST_UNSET:5672}") == "amqp://rabbit.example/ 5672"


def test_a_required_env_var_without_default_is_named(monkeypatch):
    monkeypatch.delenv("MP_TEST_REQUIRED", raising=False)
    with pytest.raises(ConfigError, match="MP_TEST_REQUIRED"):
        expand_env("${MP_TEST_REQUIRED}")


def test_load_config_reads_yaml_with_env(tmp_path, monkeypatch):
    monkeypatch.setenv("MP_TEST_PORT", "9101")
    path = tmp_path / "config.yaml"
    path.write_text("AMQP_URI: amqp://x/\nMETRICS_PORT: ${MP_TEST_PORT:0}\n")
    settings = ServiceSettings.from_config(load_config(str(path)))
    assert settings["METRICS_PORT"] == 9101
    assert settings["QUEUE_TYPE"] == "classic"


def test_a_bad_value_is_reported_with_its_key():
    with pytest.raises(ConfigError, match="METRICS_PORT") as err:
        ServiceSettings.from_config({"METRICS_PORT": "ninety", "QUEUE_TYPE": "lazy"})
    assert "QUEUE_TYPE" in str(err.value)


def test_production_refuses_default_credentials_and_secrets():
    class WithSecret(ServiceSettings):
        SECRETS = {"SIGNING_KEY": "dev-signing-key"}
        SIGNING_KEY = fields.String(load_default="dev-signing-key")

    with pytest.raises(ConfigError) as err:
        WithSecret.from_config({"ENVIRONMENT": "production", "AMQP_URI": "amqp://guest:guest@rabbit/"})
    assert "AMQP_URI" in str(err.value) and "SIGNING_KEY" in str(err.value)
    ok = WithSecret.from_config(
        {"ENVIRONMENT": "production", "AMQP_URI": "amqp://mp:s3cret@rabbit/", "SIGNING_KEY": "from-a-secret"}
    )
    assert ok["SIGNING_KEY"] == "from-a-secret"
