"""LOG_FORMAT: `text` by default (the lines a person reads, unchanged), `json` one JSON object a
line with the request id on a request's lines, anything else refused at start-up."""

import datetime
import io
import json
import logging
import re

import mongomock
import pytest
from flask import Flask

from backend import http_headers
from backend.audit import AuditLog
from backend.config import load_config
from backend.errors import ConfigError
from backend.logging_setup import FORMAT, Fields, configure_logging, formatter_for


@pytest.fixture(autouse=True)
def no_log_format_in_the_environment(monkeypatch):
    monkeypatch.delenv("LOG_FORMAT", raising=False)


@pytest.fixture
def lines():
    """What the test logger writes in JSON (a list of parsed lines, filled as records are logged)."""
    configure_logging()  # as create_app does: records carry their request id (later calls change nothing)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter_for("json"))
    logger = logging.getLogger("test_log_format")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield logger, lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


def app_logging_a_line(logger):
    app = Flask(__name__)
    app.config.update(APP_ENV="development")
    http_headers.init_app(app)

    @app.get("/logs")
    def logs():
        logger.info("served %s", "logs")
        logger.warning("and warned")
        return "ok"

    return app


def test_text_is_the_default():
    assert load_config()["LOG_FORMAT"] == "text"
    assert load_config({"LOG_FORMAT": "json"})["LOG_FORMAT"] == "json"


@pytest.mark.parametrize("value", ["xml", "JSON", " json", "", "text,json"])
def test_any_other_value_is_refused_naming_the_two(value):
    with pytest.raises(ConfigError) as refused:
        load_config({"LOG_FORMAT": value})
    assert "LOG_FORMAT" in str(refused.value) and "text or json" in str(refused.value)


def test_the_environment_is_read_and_refused_too(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "yaml")
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        load_config()


def test_text_lines_are_unchanged():
    record = logging.LogRecord("integration", logging.INFO, __file__, 1, "served %s", ("logs",), None)
    record.request_id = "rid-1"
    assert FORMAT == "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
    text = formatter_for("text").format(record)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO integration \[rid-1\] served logs", text), text


def test_an_audit_lines_text_is_its_fields_as_json_as_before():
    fields = {
        "event": "wallet.credited",
        "outcome": "ok",
        "amount_minor": 500,
        "created_at": "2024-05-01T00:00:00.000Z",
    }
    record = logging.LogRecord("integration", logging.INFO, __file__, 1, Fields("wallet.credited ok", fields), (), None)
    assert record.getMessage() == json.dumps(fields, sort_keys=True)


def test_json_lines_parse_and_carry_the_request_id_of_their_request(lines):
    logger, written = lines
    client = app_logging_a_line(logger).test_client()
    client.get("/logs", headers={"X-Request-ID": "trace-json-1"})
    generated = client.get("/logs").headers["X-Request-ID"]
    logger.info("outside any request")
    first, second, third, fourth, outside = written()
    assert first["message"] == "served logs" and first["level"] == "INFO" and second["level"] == "WARNING"
    assert first["logger"] == "test_log_format"
    assert first["request_id"] == second["request_id"] == "trace-json-1"
    assert third["request_id"] == fourth["request_id"] == generated != "trace-json-1"
    assert "request_id" not in outside and outside["message"] == "outside any request"


def test_json_time_is_iso_8601_utc(lines):
    logger, written = lines
    before = datetime.datetime.now(datetime.UTC)
    logger.info("now")
    (line,) = written()
    assert line["time"].endswith("Z") and len(line["time"]) == len("2024-05-01T12:00:00.123Z")
    moment = datetime.datetime.fromisoformat(line["time"].replace("Z", "+00:00"))
    assert abs(moment - before) < datetime.timedelta(seconds=5)


def test_json_lines_carry_the_exception_text(lines):
    logger, written = lines
    try:
        raise ValueError("the store went away")
    except ValueError:
        logger.exception("job failed")
    (line,) = written()
    assert line["message"] == "job failed" and line["level"] == "ERROR"
    assert "Traceback" in line["exception"] and "ValueError: the store went away" in line["exception"]


def test_without_an_exception_there_is_no_exception_key(lines):
    logger, written = lines
    logger.info("fine")
    assert set(written()[0]) == {"time", "level", "logger", "message"}


def test_an_audit_lines_fields_are_keys_of_its_json_line():
    configure_logging()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter_for("json"))
    logger = logging.getLogger("integration")
    logger.addHandler(handler)
    audit = AuditLog(mongomock.MongoClient().db, request_id=http_headers.current_request_id)
    app = Flask(__name__)
    try:
        with app.test_request_context(headers={"X-Request-ID": "trace-audit-1"}):
            audit.record(
                "wallet.credited", "ok", customer_id="cust_j", amount_minor=500, currency="INR", secret="s3cr3t"
            )
            audit.record("webhook.rejected", "rejected", gateway="razorpay", reason="invalid_signature")
    finally:
        logger.removeHandler(handler)
    credited, rejected = (json.loads(line) for line in stream.getvalue().splitlines())
    assert credited["message"] == "wallet.credited ok" and credited["logger"] == "integration"
    assert credited["request_id"] == "trace-audit-1"
    assert (credited["event"], credited["outcome"], credited["customer_id"]) == ("wallet.credited", "ok", "cust_j")
    assert (credited["amount_minor"], credited["currency"]) == (500, "INR")
    assert "secret" not in credited and "s3cr3t" not in stream.getvalue()  # only the audit's whitelisted fields
    assert rejected["level"] == "WARNING" and rejected["reason"] == "invalid_signature"


def test_a_fields_message_never_replaces_the_lines_own_keys(lines):
    logger, written = lines
    logger.info(Fields("summary", {"level": "DEBUG", "message": "forged", "time": "then", "event": "e"}))
    (line,) = written()
    assert (line["level"], line["message"], line["event"]) == ("INFO", "summary", "e") and line["time"] != "then"


def test_each_app_s_log_file_and_format_take_effect_in_one_process(tmp_path):
    """create_app takes LOG_FILE and LOG_FORMAT as every setting, also for a second app in the process
    (they used to be fixed by the first)."""
    from backend import create_app
    from tests.conftest import app_config

    first, second = tmp_path / "first.log", tmp_path / "second.log"
    create_app(app_config(LOG_FILE=str(first), LOG_FORMAT="text"))
    logging.getLogger("integration").info("to the first")
    create_app(app_config(LOG_FILE=str(second), LOG_FORMAT="json"))
    logging.getLogger("integration").info("to the second")
    assert "to the first" in first.read_text() and "to the second" not in first.read_text()
    [line] = [json.loads(text) for text in second.read_text().splitlines() if "to the second" in text]
    assert line["message"] == "to the second" and line["level"] == "INFO"
    create_app(app_config())  # back to stderr only: the files are closed and written to no more
    logging.getLogger("integration").info("to neither")
    assert "to neither" not in first.read_text() + second.read_text()
