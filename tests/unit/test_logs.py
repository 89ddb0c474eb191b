"""Logging (issue 12, items 4 and 5): ``BETEILIGUNG_LOG_LEVEL`` and ``BETEILIGUNG_LOG_JSON``
reach structlog and the standard library's loggers (Litestar's among them), and rendering a line
never raises, whatever value it carries (a class, an object whose text fails, a cycle …): a
failing renderer once turned one logged error into a second, unlogged one."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from beteiligung.settings import Settings
from beteiligung.web.logs import log_processors, logging_config, render_json, stdlib_processors

SECRET = "unit-test-secret-" + "x" * 40


class BrokenText:
    def __str__(self) -> str:
        raise RuntimeError("no text")

    __repr__ = __str__


def _cycle() -> list[Any]:
    loop: list[Any] = [1]
    loop.append(loop)
    return loop


ODD_VALUES = {
    "a_class": type,
    "an_object": object(),
    "broken_text": BrokenText(),
    "tuple_keys": {("a", 1): "x"},
    "a_cycle": _cycle(),
    "huge": 2**70,
    "raw": b"\xff",
    "a_set": {1},
    "an_exception": ValueError("boom"),
}


@pytest.fixture
def restore_logging() -> Iterator[None]:
    yield
    config = logging_config(Settings(env="test", secret_key=SECRET))
    config.configure()
    assert config.standard_lib_logging_config is not None
    config.standard_lib_logging_config.configure()


@pytest.mark.parametrize("name", sorted(ODD_VALUES))
def test_json_rendering_never_raises(name: str) -> None:
    line = json.loads(render_json({"event": "probe", name: ODD_VALUES[name]}))
    assert line["event"] == "probe" and name in line


@pytest.mark.parametrize("as_json", [True, False])
def test_the_processor_chains_render_any_value(as_json: bool) -> None:
    for chain in (log_processors(as_json), stdlib_processors(as_json)[-1:]):
        event: Any = {"event": "probe", **ODD_VALUES}
        for processor in chain:
            event = processor(None, "warning", event)
        text = event.decode() if isinstance(event, bytes) else event
        assert "probe" in text and "<class 'type'>" in text


def test_a_standard_library_record_with_exc_info_is_rendered_and_scrubbed() -> None:
    """The formatter of the standard library's loggers (e.g. SQLAlchemy's pool logging the
    error of a connection used from another event loop) once gave the ``exc_info`` tuple to the
    JSON serializer: ``TypeError: Unsupported type: <class 'type'>``."""
    formatter = structlog.stdlib.ProcessorFormatter(processors=stdlib_processors(True))
    try:
        raise RuntimeError("invalid input for query argument $1: 'geheim@example.org'")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "sqlalchemy.pool",
        logging.ERROR,
        __file__,
        1,
        "Exception closing connection %r",
        (object(),),
        exc_info,
    )
    record.__dict__["extra_class"] = type
    line = json.loads(formatter.format(record))
    assert line["event"].startswith("Exception closing connection <object object")
    assert "RuntimeError" in line["exception"] and "geheim@example.org" not in line["exception"]
    assert line["extra_class"] == "<class 'type'>"


def test_log_level_reaches_structlog_and_litestars_loggers(capsys: Any, restore_logging: None) -> None:
    from beteiligung.app import create_app

    create_app(Settings(env="test", secret_key=SECRET, log_level="WARNING", log_json=True))
    log = structlog.get_logger("beteiligung.test")
    log.info("quiet.info")
    log.warning("loud.warning")
    out = capsys.readouterr().out
    assert "quiet.info" not in out
    assert json.loads(out.strip().splitlines()[-1])["event"] == "loud.warning"
    assert logging.getLogger().level == logging.WARNING
    assert logging.getLogger("litestar").level == logging.WARNING

    create_app(Settings(env="test", secret_key=SECRET, log_level="DEBUG", log_json=True))
    structlog.get_logger("beteiligung.test").debug("chatty.debug")
    assert "chatty.debug" in capsys.readouterr().out
    assert logging.getLogger().level == logging.getLogger("litestar").level == logging.DEBUG


def test_log_json_is_read(capsys: Any, restore_logging: None) -> None:
    from beteiligung.app import create_app

    assert Settings.from_env({"BETEILIGUNG_LOG_JSON": "false"}).log_json is False
    create_app(Settings(env="test", secret_key=SECRET, log_json=False))
    structlog.get_logger("beteiligung.test").warning("for.people", n=1)
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert "for.people" in line and not line.startswith("{")

    create_app(Settings(env="test", secret_key=SECRET, log_json=True))
    structlog.get_logger("beteiligung.test").warning("for.machines", n=1)
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(line)["n"] == 1
