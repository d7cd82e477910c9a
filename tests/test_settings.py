"""Settings: every variable read, every mistake named."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import ConfigError, load_settings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def settings(**values: object):  # type: ignore[no-untyped-def]
    return load_settings(_env_file=None, **values)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_API_BASE_URL",
        "DATABASE_URL",
        "EVENT_FILE",
        "ORGANISER_IDS",
        "DEFAULT_LANGUAGE",
        "LOG_LEVEL",
        "WEBHOOK_URL",
        "WEBHOOK_SECRET",
        "WEBHOOK_LISTEN",
        "WEBHOOK_PORT",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults() -> None:
    s = settings(telegram_bot_token=TOKEN)
    assert s.api_base_url == "https://api.telegram.org/bot"
    assert s.api_base_file_url == "https://api.telegram.org/file/bot"
    assert s.database_path == Path("data/maillage.db")
    assert s.event_file == Path("examples/event.toml")
    assert s.organiser_ids == frozenset()
    assert s.default_language == "fr"
    assert s.log_level == "INFO"
    assert s.webhook_url is None


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ORGANISER_IDS", " 11, 22 ,33 ")
    monkeypatch.setenv("DEFAULT_LANGUAGE", "EN")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/")
    s = settings()
    assert s.organiser_ids == {11, 22, 33}
    assert s.default_language == "en"
    assert s.log_level == "DEBUG"
    assert s.api_base_url == "http://127.0.0.1:8081/bot"
    assert s.api_base_file_url == "http://127.0.0.1:8081/file/bot"


def test_read_from_a_dotenv_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nORGANISER_IDS=42\n", encoding="utf-8")
    s = load_settings(_env_file=env)
    assert s.token == TOKEN and s.organiser_ids == {42}


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///data/maillage.db", Path("data/maillage.db")),
        ("sqlite:////var/lib/maillage/m.db", Path("/var/lib/maillage/m.db")),
    ],
)
def test_database_urls_as_sqlalchemy_writes_them(url: str, path: Path) -> None:
    assert settings(telegram_bot_token=TOKEN, database_url=url).database_path == path


@pytest.mark.parametrize("url", ["postgresql://bot:pw@db.example.org:5432/maillage", "postgres://bot@localhost/m"])
def test_postgresql_urls_select_the_postgresql_backend(url: str) -> None:
    assert settings(telegram_bot_token=TOKEN, database_url=url).uses_postgres


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "TELEGRAM_BOT_TOKEN is missing"),
        ({"telegram_bot_token": "not-a-token"}, "TELEGRAM_BOT_TOKEN is invalid"),
        ({"telegram_bot_token": TOKEN, "database_url": "mysql://x"}, "DATABASE_URL is invalid"),
        ({"telegram_bot_token": TOKEN, "database_url": "postgresql://"}, "DATABASE_URL is invalid"),
        ({"telegram_bot_token": TOKEN, "organiser_ids": "12,abc"}, "ORGANISER_IDS is invalid"),
        ({"telegram_bot_token": TOKEN, "default_language": "de"}, "DEFAULT_LANGUAGE is invalid"),
        ({"telegram_bot_token": TOKEN, "log_level": "LOUD"}, "LOG_LEVEL is invalid"),
        ({"telegram_bot_token": TOKEN, "telegram_api_base_url": "nowhere"}, "TELEGRAM_API_BASE_URL is invalid"),
        ({"telegram_bot_token": TOKEN, "webhook_url": "https://bot.example.org/tg"}, "WEBHOOK_SECRET is required"),
        (
            {"telegram_bot_token": TOKEN, "webhook_url": "https://b.example.org/tg", "webhook_secret": "a b"},
            "WEBHOOK_SECRET must be",
        ),
        ({"telegram_bot_token": TOKEN, "webhook_port": "99999"}, "WEBHOOK_PORT is invalid"),
    ],
)
def test_mistakes_are_named(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        settings(**values)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_the_token_never_appears_in_errors_or_repr() -> None:
    secret_part = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    with pytest.raises(ConfigError) as err:
        settings(telegram_bot_token=TOKEN, log_level="LOUD")
    assert secret_part not in str(err.value)
    assert secret_part not in repr(settings(telegram_bot_token=TOKEN))


def test_the_readme_lists_every_setting_and_only_those() -> None:
    from bot.settings import Settings

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    listed = {line.split("`")[1] for line in section.splitlines() if line.startswith("| `")}
    assert listed == {name.upper() for name in Settings.model_fields}
