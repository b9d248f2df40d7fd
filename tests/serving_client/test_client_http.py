"""ModelClient against real HTTP servers on 127.0.0.1: retries, errors, batching, pooling."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from tests.serving_client.scoring_stub import Recorded, Reply, ScoringServer, echo_reply, free_port

from databricks_mlops.config.serving import AuthConfig, AuthType, ClientConfig
from databricks_mlops.serving_client import (
    ModelClient,
    RequestMetrics,
    ServingError,
    ServingRequestError,
    ServingResponseError,
    ServingRetriesExhaustedError,
)

Factory = Callable[..., ScoringServer]


def make_config(url: str, **overrides: Any) -> ClientConfig:
    retry = {"max_retries": 3, "backoff_factor": 0.01, "timeout_seconds": 5}
    retry.update(overrides.pop("retry", {}))
    return ClientConfig(
        workspace_url=url,
        auth=AuthConfig(auth_type=AuthType.NONE),
        retry_config=retry,  # type: ignore[arg-type]
        **overrides,
    )


def frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": range(rows),
            "tenure": [i % 72 for i in range(rows)],
            "monthly_charges": [20.0 + i % 80 for i in range(rows)],
            "contract_type": ["Month-to-month"] * rows,
        }
    )


def flaky(failures: int, status: int = 503) -> Callable[[ScoringServer, Recorded], Reply]:
    def reply(server: ScoringServer, request: Recorded) -> Reply:
        if len(server.requests) <= failures:
            return Reply(status, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "busy"})
        return echo_reply(server, request)

    return reply


def test_flaky_server_is_survived_after_two_503(scoring_server: Factory) -> None:
    server = scoring_server(flaky(2))
    seen: list[RequestMetrics] = []
    with ModelClient(make_config(server.url), metrics_hook=seen.append) as client:
        response = client.predict("churn", frame(3))

    assert len(server.requests) == 3
    assert response.predictions["prediction"] == [0, 1, 0]
    assert response.metadata.attempts == 3
    assert [(m.status, m.attempts, m.rows) for m in seen] == [(200, 3, 3)]


def test_retry_after_is_honoured_on_429(scoring_server: Factory) -> None:
    def reply(server: ScoringServer, request: Recorded) -> Reply:
        if len(server.requests) == 1:
            return Reply(429, {"message": "rate limited"}, headers={"Retry-After": "1"})
        return echo_reply(server, request)

    server = scoring_server(reply)
    with ModelClient(make_config(server.url, retry={"backoff_factor": 0})) as client:
        started = time.perf_counter()
        response = client.predict("churn", frame(1))
        elapsed = time.perf_counter() - started

    assert len(server.requests) == 2
    assert response.metadata.attempts == 2
    # backoff_factor 0 means no wait of our own: the second(ish) comes from Retry-After.
    assert 0.9 <= elapsed < 5


def test_retry_after_is_capped_by_max_backoff(scoring_server: Factory) -> None:
    def reply(server: ScoringServer, request: Recorded) -> Reply:
        if len(server.requests) == 1:
            return Reply(503, {"message": "warming up"}, headers={"Retry-After": "3600"})
        return echo_reply(server, request)

    server = scoring_server(reply)
    config = make_config(server.url, retry={"max_backoff_seconds": 0.2})
    with ModelClient(config) as client:
        started = time.perf_counter()
        client.predict("churn", frame(1))
    assert time.perf_counter() - started < 3
    assert len(server.requests) == 2


def test_400_is_raised_once_with_the_server_message(scoring_server: Factory) -> None:
    def reply(server: ScoringServer, request: Recorded) -> Reply:
        message = "Failed to enforce schema: missing inputs ['total_charges']"
        return Reply(400, {"error_code": "BAD_REQUEST", "message": message})

    server = scoring_server(reply)
    seen: list[RequestMetrics] = []
    with (
        ModelClient(make_config(server.url), metrics_hook=seen.append) as client,
        pytest.raises(ServingRequestError, match=r"HTTP 400 BAD_REQUEST .*missing inputs") as info,
    ):
        client.predict("churn", frame(2))

    assert len(server.requests) == 1
    assert info.value.status == 400
    assert info.value.error_code == "BAD_REQUEST"
    assert "total_charges" in info.value.server_message
    assert [(m.status, m.attempts) for m in seen] == [(400, 1)]


def test_503_every_time_exhausts_retries_naming_attempts_and_status(
    scoring_server: Factory,
) -> None:
    server = scoring_server(flaky(100))
    with (
        ModelClient(make_config(server.url, retry={"max_retries": 2})) as client,
        pytest.raises(ServingRetriesExhaustedError, match=r"after 3 attempt\(s\), last: HTTP 503"),
    ):
        client.predict("churn", frame(1))
    assert len(server.requests) == 3


def test_connection_refused_is_retried_then_a_typed_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    seen: list[RequestMetrics] = []
    with (
        ModelClient(make_config(url, retry={"max_retries": 2}), metrics_hook=seen.append) as c,
        pytest.raises(ServingRetriesExhaustedError, match=r"after 3 attempt.*no HTTP answer") as e,
    ):
        c.predict("churn", frame(1))
    assert e.value.attempts == 3
    assert e.value.last_status is None
    assert "ConnectionError" in e.value.last_error
    assert [(m.status, m.attempts) for m in seen] == [(None, 3)]


def test_batches_are_sent_concurrently_bounded_and_reassembled_in_order(
    scoring_server: Factory,
) -> None:
    server = scoring_server()
    server.delay = 0.05  # keep requests in flight long enough to overlap
    config = make_config(server.url, batch_size=1000, max_concurrency=3)
    features = frame(10_000).sample(frac=1.0, random_state=7).reset_index(drop=True)
    with ModelClient(config) as client:
        response = client.predict("churn", features)

    assert len(server.requests) == 10
    assert sorted(len(request.ids) for request in server.requests) == [1000] * 10
    assert 1 < server.max_in_flight <= 3
    expected = [int(i) % 100 / 100 for i in features["id"]]
    assert response.predictions["probability"] == expected
    assert response.metadata.rows == 10_000
    assert response.metadata.batches == 10


def test_a_failed_batch_fails_the_call_naming_its_row_range(scoring_server: Factory) -> None:
    def reply(server: ScoringServer, request: Recorded) -> Reply:
        if 3500 in request.ids:
            return Reply(400, {"error_code": "BAD_REQUEST", "message": "bad value in row"})
        return echo_reply(server, request)

    server = scoring_server(reply)
    config = make_config(server.url, batch_size=1000, max_concurrency=2)
    with (
        ModelClient(config) as client,
        pytest.raises(ServingRequestError, match=r"rows 3000-3999 \(of 10000\).*bad value") as e,
    ):
        client.predict("churn", frame(10_000))
    assert e.value.rows == (3000, 4000)
    assert e.value.status == 400


def test_keep_alive_reuses_one_connection_for_many_calls(scoring_server: Factory) -> None:
    server = scoring_server()
    with ModelClient(make_config(server.url)) as client:
        for _ in range(50):
            client.predict("churn", frame(1))
    assert len(server.requests) == 50
    assert len(server.connections) == 1


def test_metadata_and_class_alias(scoring_server: Factory) -> None:
    def reply(server: ScoringServer, request: Recorded) -> Reply:
        answer = echo_reply(server, request)
        answer.headers = {"x-request-id": "req-42", "served-model-name": "churn-7"}
        return answer

    server = scoring_server(reply)
    with ModelClient(make_config(server.url)) as client:
        response = client.predict("churn", frame(4))
    assert response.predictions["class"] == response.predictions["prediction"] == [0, 1, 0, 1]
    assert response.metadata.request_id == "req-42"
    assert response.metadata.served_model_name == "churn-7"
    assert response.metadata.endpoint_name == "churn"
    assert response.metadata.latency_ms > 0
    assert list(response.to_pandas().columns) == ["prediction", "probability", "class"]


def test_without_a_server_request_id_the_client_id_is_sent_and_reported(
    scoring_server: Factory,
) -> None:
    server = scoring_server()
    with ModelClient(make_config(server.url)) as client:
        response = client.predict("churn", frame(1))
    assert response.metadata.request_id == server.requests[0].headers["X-Request-Id"]


def test_an_answer_with_too_few_rows_is_a_response_error(scoring_server: Factory) -> None:
    server = scoring_server(lambda s, r: Reply(body={"predictions": [1]}))
    with (
        ModelClient(make_config(server.url)) as client,
        pytest.raises(ServingResponseError, match=r"'churn' .*1 value\(s\) .* for 2 row\(s\)"),
    ):
        client.predict("churn", frame(2))


def test_a_broken_metrics_hook_does_not_fail_predictions(
    scoring_server: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    def hook(metrics: RequestMetrics) -> None:
        raise RuntimeError("metrics sink down")

    server = scoring_server()
    with ModelClient(make_config(server.url), metrics_hook=hook) as client:
        response = client.predict("churn", frame(2))
    assert response.metadata.rows == 2
    assert "metrics sink down" in caplog.text


def test_requests_are_logged_at_debug_without_payload(
    scoring_server: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    server = scoring_server()
    caplog.set_level("DEBUG", logger="databricks_mlops.serving_client")
    with ModelClient(make_config(server.url)) as client:
        client.predict("churn", frame(2))
    line = next(
        r.getMessage() for r in caplog.records if r.name == "databricks_mlops.serving_client"
    )
    assert "endpoint=churn rows=2 status=200" in line
    assert "Month-to-month" not in caplog.text


def test_importing_the_client_loads_no_heavy_library() -> None:
    import subprocess
    import sys

    code = (
        "import sys, databricks_mlops.serving_client\n"
        "heavy = ('requests', 'pandas', 'databricks.sdk', 'mlflow', 'pyspark')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "[]"


def test_a_closed_client_refuses_to_predict(scoring_server: Factory) -> None:
    server = scoring_server()
    client = ModelClient(make_config(server.url))
    client.close()
    with pytest.raises(ServingError, match="closed: create a new one"):
        client.predict("churn", frame(1))
    assert server.requests == []


def test_a_read_timeout_is_retried_then_reported(scoring_server: Factory) -> None:
    server = scoring_server()
    server.delay = 1.0
    config = make_config(server.url, retry={"max_retries": 1, "timeout_seconds": 0.2})
    with (
        ModelClient(config) as client,
        pytest.raises(ServingRetriesExhaustedError, match=r"after 2 attempt.*ReadTimeout"),
    ):
        client.predict("churn", frame(1))
    assert len(server.requests) == 2


def test_payloads_are_logged_only_when_asked(
    scoring_server: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    server = scoring_server()
    caplog.set_level("DEBUG", logger="databricks_mlops.serving_client")
    with ModelClient(make_config(server.url, log_payloads=True)) as client:
        client.predict("churn", frame(1))
    # Messages, not caplog.text: once PySpark's JSON logger has been used in the session,
    # the capture handler's formatter is PySpark's JSONFormatter, which escapes quotes.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert '"contract_type"],"data":[[0,0,20.0,"Month-to-month"]]' in logged
    assert '"probability": 0.0' in logged
