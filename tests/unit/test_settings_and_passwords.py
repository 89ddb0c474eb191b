from __future__ import annotations

import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from beteiligung.accounts.passwords import needs_rehash, password_problem, verify_password
from beteiligung.settings import DEV_SECRET, Settings, SettingsError, documented_variables

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_are_embedded_mode():
    s = Settings.from_env({})
    assert s.embedded and s.is_sqlite and s.port == 8000 and not s.use_secure_cookies


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"BETEILIGUNG_PORT": "achttausend"}, "BETEILIGUNG_PORT"),
        ({"BETEILIGUNG_PORT": "70000"}, "BETEILIGUNG_PORT"),
        ({"BETEILIGUNG_DEMO": "vielleicht"}, "BETEILIGUNG_DEMO"),
        ({"BETEILIGUNG_ENV": "staging"}, "BETEILIGUNG_ENV"),
        ({"BETEILIGUNG_DATABASE_URL": "mysql://x"}, "BETEILIGUNG_DATABASE_URL"),
        ({"BETEILIGUNG_SECRET_KEY": "kurz"}, "BETEILIGUNG_SECRET_KEY"),
        ({"BETEILIGUNG_WORKERS": "2"}, "BETEILIGUNG_WORKERS"),
        ({"BETEILIGUNG_ENV": "production"}, "BETEILIGUNG_SECRET_KEY"),
        ({"BETEILIGUNG_ENV": "production", "BETEILIGUNG_SECRET_KEY": "s" * 40}, "BETEILIGUNG_DATABASE_URL"),
        (
            {
                "BETEILIGUNG_ENV": "production",
                "BETEILIGUNG_SECRET_KEY": "s" * 40,
                "BETEILIGUNG_DATABASE_URL": "postgresql+asyncpg://u@h/db",
            },
            "BETEILIGUNG_REDIS_URL",
        ),
    ],
)
def test_bad_settings_name_the_variable(env, variable):
    with pytest.raises(SettingsError) as exc:
        Settings.from_env(env)
    assert str(exc.value).startswith(variable) and "\n" not in str(exc.value)


def test_production_with_everything_set():
    s = Settings.from_env(
        {
            "BETEILIGUNG_ENV": "production",
            "BETEILIGUNG_SECRET_KEY": "s" * 40,
            "BETEILIGUNG_DATABASE_URL": "postgresql+asyncpg://u@h/db",
            "BETEILIGUNG_REDIS_URL": "redis://h:6379/0",
        }
    )
    assert s.use_secure_cookies and s.secret_key != DEV_SECRET


def test_every_variable_is_documented():
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name in documented_variables():
        assert f"`{name}`" in doc, name


def test_cli_prints_one_line_for_a_bad_value():
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "beteiligung", "migrate"],
        capture_output=True,
        text=True,
        env={"BETEILIGUNG_PORT": "abc", "PATH": "/usr/bin"},
        timeout=60,
    )
    assert r.returncode == 2
    assert r.stderr.strip() == "Configuration error: BETEILIGUNG_PORT: 'abc' is not a whole number"


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("elf zeichen", False),
        ("zwölf zeiche", True),
        ("x" * 11 + "y", False),  # two distinct characters: trivially guessed
        (("Lüneburg ist schön " * 7)[:128], True),  # 128 characters, Unicode: accepted
        (("Lüneburg ist schön " * 7)[:129], False),
        ("ab" * 64 + "c", False),
        ("passwort1234", False),
        ("Lueneburg1234", False),
        ("aaaaaaaaaaaaaaaa", False),
        ("Ein Satz mit Leerzeichen", True),
    ],
)
def test_password_rules(password, ok):
    assert (password_problem(password) is None) == ok


async def test_hash_is_argon2id_above_owasp_and_long_passwords_are_not_truncated():
    from beteiligung.accounts.passwords import hash_password

    long = "ü" * 100
    h = await hash_password(long)
    m, t, p = map(int, re.search(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$", h).groups())
    assert m >= 19456 and t >= 2 and p >= 1
    assert await verify_password(h, long)
    assert not await verify_password(h, long[:-1])
    assert not await verify_password(None, long)
    assert not needs_rehash(h)
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(long)
    assert needs_rehash(weak) and await verify_password(weak, long)
