"""Settings from the environment and an optional ``.env`` file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from storage.backends import check_url, is_postgres, sqlite_path

TELEGRAM_API = "https://api.telegram.org"
_TOKEN_RE = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{10,}")
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the variable."""


TOKEN_MISSING = "TELEGRAM_BOT_TOKEN is missing: set it in the environment or in .env (see .env.example)"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True)

    telegram_bot_token: SecretStr | None = None  # only `run` needs it: the other commands work offline
    telegram_api_base_url: AnyHttpUrl = AnyHttpUrl(TELEGRAM_API)
    database_url: str = "sqlite:///data/maillage.db"
    event_file: Path = Path("examples/event.toml")
    organiser_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_language: Literal["fr", "en"] = "fr"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Telegram's limit on messages a second for the whole bot: 30, up to 1000 for bots with paid broadcasts
    telegram_messages_per_second: int = Field(default=30, ge=1, le=100_000)
    # connections to the Bot API kept open, and how long a call waits for a free one before it
    # gives up unsent (and is retried: nothing went out)
    telegram_connections: int = Field(default=256, ge=1, le=10_000)
    telegram_pool_timeout: float = Field(default=1.0, gt=0.0, le=60.0)
    # how long an organiser invite link (python -m bot invite organiser) stays valid
    organiser_invite_days: int = Field(default=7, ge=1, le=365)
    # the bot's @username without the @, for invite and stand links printed without Telegram
    # (otherwise the one saved at the bot's last start)
    bot_username: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
    # how long an update claimed by a worker that died waits before another worker takes it over
    inbox_lease_seconds: float = Field(default=10.0, ge=1.0, le=600.0)
    # how long /plan and python -m bot plan give the speed-meeting planner (the proof usually comes
    # in seconds; the time left goes to fewer idle gaps in people's days)
    planner_seconds: float = Field(default=60.0, ge=1.0, le=3600.0)
    webhook_url: AnyHttpUrl | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        if not _TOKEN_RE.fullmatch(value.get_secret_value().strip()):
            raise ValueError(
                "does not look like a bot token (digits, a colon, then the secret, as @BotFather gives it)"
            )
        return SecretStr(value.get_secret_value().strip())

    @field_validator("organiser_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            for part in parts:
                if not re.fullmatch(r"\d+", part):
                    raise ValueError(f"{part!r} is not a Telegram user id (comma-separated numbers expected)")
            return frozenset(int(p) for p in parts)
        return value

    @field_validator("default_language", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return check_url(value.strip())

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url is not None:
            if self.webhook_secret is None:
                raise ValueError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
            if not _SECRET_RE.fullmatch(self.webhook_secret.get_secret_value()):
                raise ValueError("WEBHOOK_SECRET must be 1-256 characters among A-Z, a-z, 0-9, _ and -")
        return self

    @property
    def token(self) -> str:
        if self.telegram_bot_token is None:
            raise ConfigError(TOKEN_MISSING)
        return self.telegram_bot_token.get_secret_value()

    @property
    def api_base_url(self) -> str:
        """PTB's ``base_url``: the server root followed by ``/bot`` (the token is appended)."""
        return _with_suffix(str(self.telegram_api_base_url), "bot")

    @property
    def api_base_file_url(self) -> str:
        root = str(self.telegram_api_base_url).rstrip("/")
        if root.endswith("/bot"):
            root = root[: -len("/bot")]
        return f"{root}/file/bot"

    @property
    def database_path(self) -> Path:
        """The SQLite file (ValueError for a PostgreSQL URL)."""
        return sqlite_path(self.database_url)

    @property
    def uses_postgres(self) -> bool:
        return is_postgres(self.database_url)


def _with_suffix(url: str, suffix: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith(f"/{suffix}") else f"{url}/{suffix}"


def _describe(error: dict[str, Any]) -> str:
    loc = error.get("loc") or ()
    variable = str(loc[0]).upper() if loc else ""
    message = str(error.get("msg", "is invalid"))
    message = message.removeprefix("Value error, ")
    if error.get("type") == "missing":
        return f"{variable} is missing: set it in the environment or in .env (see .env.example)"
    if not variable:
        return message  # model-level checks already name their variables
    return f"{variable} is invalid: {message}"


def load_settings(*, require_token: bool = True, **overrides: Any) -> Settings:
    """Read the settings; raise ConfigError naming the bad variable (never its secret value).

    ``require_token``: running the bot needs one; preparing the event from the command line does not."""
    try:
        settings = Settings(**overrides)
    except ValidationError as err:
        lines = [_describe(dict(e)) for e in err.errors(include_input=False, include_url=False)]
        raise ConfigError("; ".join(lines)) from None
    if require_token and settings.telegram_bot_token is None:
        raise ConfigError(TOKEN_MISSING)
    return settings
