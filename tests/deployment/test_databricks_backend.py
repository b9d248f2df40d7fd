"""The Databricks Model Serving backend, driven through the real databricks-sdk client
against a recording workspace stub on 127.0.0.1 (tests/deployment/serving_workspace_stub.py)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from tests.deployment.serving_workspace_stub import WORKSPACE_ID, ServingWorkspaceStub

from databricks_mlops.config.deployment import DeploymentConfig, ServingConfig
from databricks_mlops.deployment.databricks.serving import (
    DatabricksServingBackend,
    DeploymentError,
)
from databricks_mlops.deployment.databricks.spec import served_entity_input, workload
from databricks_mlops.deployment.errors import SmokeTestError

MODEL = "main.serving.churn_model"
OLD, NEW = "churn_model-1", "churn_model-2"
CONFIG = "/api/2.0/serving-endpoints/churn/config"


def smoke_path(served: str) -> str:
    return f"/serving-endpoints/churn/served-models/{served}/invocations"


@pytest.fixture
def rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "tenure": [1, 24, 60, 5],
            "monthly_charges": [70.5, 40.0, 99.9, 20.0],
            "total_charges": [70.5, 960.0, None, 100.0],
            "contract_type": ["Month-to-month", "One year", "Two year", "One year"],
        }
    )


@pytest.fixture
def backend(serving_workspace: ServingWorkspaceStub) -> DatabricksServingBackend:
    return DatabricksServingBackend(serving_workspace.client(), poll_interval_seconds=0.005)


def deployment(version: str = "2", **serving: Any) -> DeploymentConfig:
    return DeploymentConfig.model_validate(
        {
            "model_name": MODEL,
            "model_version": version,
            "environment": "staging",
            "tags": {"team": "churn"},
            "serving": {"endpoint_name": "churn", **serving},
        }
    )


def test_first_deploy_creates_the_endpoint_waits_and_smoke_tests(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend, rows: pd.DataFrame
) -> None:
    config = deployment(
        "1",
        compute_scale=2,
        scale_to_zero_enabled=True,
        environment_variables={"DB_TOKEN": "{{secrets/churn/token}}"},
        tags={"cost_center": "ml"},
        inference_log=True,
        rollout={"smoke_test": {"rows": 3}},
    )

    endpoint = backend.deploy(config, MODEL, "1", smoke_rows=rows)

    assert serving_workspace.calls() == [
        ("POST", "/api/2.0/serving-endpoints"),
        ("POST", smoke_path(OLD)),
    ]
    polls = [c for c in serving_workspace.calls(polls=True) if c[0] == "GET"]
    # One GET found no endpoint, then polls until the create left IN_PROGRESS.
    assert len(polls) == 1 + serving_workspace.polls_per_update
    [create] = serving_workspace.bodies("POST", "/api/2.0/serving-endpoints")
    assert create == {
        "name": "churn",
        "config": {
            "name": "churn",
            "served_entities": [
                {
                    "name": OLD,
                    "entity_name": MODEL,
                    "entity_version": "1",
                    "workload_size": "Medium",
                    "workload_type": "CPU",
                    "scale_to_zero_enabled": True,
                    "environment_vars": {"DB_TOKEN": "{{secrets/churn/token}}"},
                }
            ],
            "traffic_config": {"routes": [{"served_model_name": OLD, "traffic_percentage": 100}]},
        },
        "ai_gateway": {
            "inference_table_config": {
                "catalog_name": "main",
                "schema_name": "serving",
                "table_name_prefix": "churn",
                "enabled": True,
            }
        },
        "tags": [
            {"key": "team", "value": "churn"},
            {"key": "cost_center", "value": "ml"},
            {"key": "environment", "value": "staging"},
        ],
    }
    [smoke] = serving_workspace.bodies("POST", smoke_path(OLD))
    assert smoke["dataframe_split"]["columns"] == list(rows.columns)
    assert len(smoke["dataframe_split"]["data"]) == 3  # rollout.smoke_test.rows
    [post] = [r for r in serving_workspace.requests if r.method == "POST"][:1]
    assert post.headers["Authorization"] == "Bearer dapi-stub-token"
    assert post.headers["X-Databricks-Workspace-Id"] == WORKSPACE_ID  # from host metadata
    assert endpoint.name == "churn"
    assert endpoint.backend == "databricks"
    assert endpoint.state == "READY"
    assert endpoint.url == f"{serving_workspace.url}/serving-endpoints/churn/invocations"
    assert endpoint.traffic == {"1": 100}


def test_new_version_rolls_out_blue_green_with_smoke_tests_between_steps(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend, rows: pd.DataFrame
) -> None:
    serving_workspace.add_endpoint("churn", MODEL, "1")

    endpoint = backend.deploy(deployment("2"), MODEL, "2", smoke_rows=rows)

    assert serving_workspace.config_updates("churn") == [
        {OLD: 90, NEW: 10},
        {OLD: 50, NEW: 50},
        {OLD: 0, NEW: 100},
        {NEW: 100},
    ]
    assert serving_workspace.calls() == [
        ("PUT", CONFIG),
        ("POST", smoke_path(NEW)),
        ("PUT", CONFIG),
        ("POST", smoke_path(NEW)),
        ("PUT", CONFIG),
        ("POST", smoke_path(NEW)),
        ("PUT", CONFIG),
        ("POST", smoke_path(NEW)),
        ("PATCH", "/api/2.0/serving-endpoints/churn/tags"),
    ]
    updates = serving_workspace.bodies("PUT", "/churn/config")
    assert [[e["entity_version"] for e in u["served_entities"]] for u in updates] == [
        ["1", "2"],
        ["1", "2"],
        ["1", "2"],
        ["2"],
    ]
    # The old entity is re-sent exactly as it served (its workload kept).
    assert updates[0]["served_entities"][0]["workload_size"] == "Small"
    [tags] = serving_workspace.bodies("PATCH", "/churn/tags")
    assert {t["key"]: t["value"] for t in tags["add_tags"]} == {
        "team": "churn",
        "environment": "staging",
        "mlops.previous_model": MODEL,
        "mlops.previous_version": "1",
    }
    assert endpoint.state == "READY"
    assert endpoint.traffic == {"2": 100}


def test_custom_traffic_steps_are_followed(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend
) -> None:
    serving_workspace.add_endpoint("churn", MODEL, "1")

    backend.deploy(deployment("2", rollout={"traffic_steps": [25, 100]}), MODEL, "2")

    assert serving_workspace.config_updates("churn") == [
        {OLD: 75, NEW: 25},
        {OLD: 0, NEW: 100},
        {NEW: 100},
    ]
    assert not serving_workspace.bodies("POST", "/invocations")  # no smoke rows given


def test_failing_smoke_test_at_50_percent_puts_all_traffic_back_on_the_old_version(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend, rows: pd.DataFrame
) -> None:
    serving_workspace.add_endpoint("churn", MODEL, "1")
    serving_workspace.invocation_status["2"] = 500
    serving_workspace.healthy_invocations["2"] = 1  # the 10% step's smoke test passes

    with pytest.raises(
        DeploymentError,
        match=r"failed at step '50% traffic'.*smoke test.*Model raised.*back at 100% on "
        r"main\.serving\.churn_model v1",
    ) as failure:
        backend.deploy(deployment("2"), MODEL, "2", smoke_rows=rows)

    assert isinstance(failure.value.__cause__, SmokeTestError)
    assert serving_workspace.config_updates("churn") == [
        {OLD: 90, NEW: 10},
        {OLD: 50, NEW: 50},
        {OLD: 100},
    ]
    assert serving_workspace.calls()[-1] == ("PUT", CONFIG)
    restore = serving_workspace.bodies("PUT", "/churn/config")[-1]
    assert [e["name"] for e in restore["served_entities"]] == [OLD]
    after = backend.get("churn")
    assert after is not None
    assert after.state == "READY"
    assert after.traffic == {"1": 100}
    assert not serving_workspace.bodies("PATCH", "/churn/tags")  # no previous version recorded


def test_update_failed_state_is_a_typed_error_and_traffic_returns_to_the_old_version(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend, rows: pd.DataFrame
) -> None:
    serving_workspace.add_endpoint("churn", MODEL, "1")
    serving_workspace.failing_versions.add("2")

    with pytest.raises(
        DeploymentError,
        match=r"failed at step '10% traffic'.*UPDATE_FAILED.*churn_model-2: DEPLOYMENT_FAILED "
        r"Container build failed.*back at 100%",
    ):
        backend.deploy(deployment("2"), MODEL, "2", smoke_rows=rows)

    assert serving_workspace.config_updates("churn") == [{OLD: 90, NEW: 10}, {OLD: 100}]
    assert not serving_workspace.bodies("POST", "/invocations")  # never smoke-tested
    after = backend.get("churn")
    assert after is not None
    assert after.traffic == {"1": 100}


def test_smoke_test_slower_than_max_latency_fails_the_first_step(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend, rows: pd.DataFrame
) -> None:
    serving_workspace.add_endpoint("churn", MODEL, "1")
    serving_workspace.invocation_delay["2"] = 0.3
    config = deployment("2", rollout={"smoke_test": {"max_latency_ms": 100}})

    with pytest.raises(
        DeploymentError, match=r"'10% traffic'.*took \d+ ms, above .*max_latency_ms=100"
    ):
        backend.deploy(config, MODEL, "2", smoke_rows=rows)

    assert serving_workspace.config_updates("churn") == [{OLD: 90, NEW: 10}, {OLD: 100}]


def test_update_still_in_progress_after_the_timeout_fails_and_says_so(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend
) -> None:
    serving_workspace.add_endpoint("churn", MODEL, "1")
    serving_workspace.polls_per_update = 10**9  # never finishes
    config = deployment("2", rollout={"wait_timeout_seconds": 1})

    # The restore is refused too (409: an update is running): the error says both.
    with pytest.raises(
        DeploymentError,
        match=r"still IN_PROGRESS after 0:00:01 \(10% traffic\).*restoring 100% traffic to "
        r"main\.serving\.churn_model v1 ALSO failed.*currently being updated",
    ):
        backend.deploy(config, MODEL, "2")

    # The restore was attempted (and answered 409).
    assert serving_workspace.config_updates("churn") == [{OLD: 90, NEW: 10}, {OLD: 100}]


def test_same_version_already_serving_everything_is_a_no_op(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend, rows: pd.DataFrame
) -> None:
    serving_workspace.add_endpoint("churn", MODEL, "1")

    endpoint = backend.deploy(deployment("1"), MODEL, "1", smoke_rows=rows)

    assert serving_workspace.calls() == []  # one GET, nothing changed
    assert endpoint.traffic == {"1": 100}


def test_same_version_with_new_compute_settings_is_updated_in_place(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend, rows: pd.DataFrame
) -> None:
    serving_workspace.add_endpoint("churn", MODEL, "1")

    backend.deploy(deployment("1", instance_type="Large"), MODEL, "1", smoke_rows=rows)

    [update] = serving_workspace.bodies("PUT", "/churn/config")
    assert [(e["name"], e["workload_size"]) for e in update["served_entities"]] == [(OLD, "Large")]
    assert serving_workspace.calls()[:2] == [("PUT", CONFIG), ("POST", smoke_path(OLD))]
    tags = serving_workspace.bodies("PATCH", "/churn/tags")
    assert all("mlops.previous_version" not in str(body) for body in tags)


def test_new_endpoint_failing_to_deploy_is_reported_without_a_restore(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend
) -> None:
    serving_workspace.failing_versions.add("1")

    with pytest.raises(DeploymentError, match=r"new endpoint 'churn' failed.*UPDATE_FAILED"):
        backend.deploy(deployment("1"), MODEL, "1")

    assert serving_workspace.calls() == [("POST", "/api/2.0/serving-endpoints")]
    failed = backend.get("churn")
    assert failed is not None
    assert failed.state == "FAILED"


def test_rollback_returns_all_traffic_to_the_previous_version(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend
) -> None:
    serving_workspace.add_endpoint("churn", MODEL, "1")
    backend.deploy(deployment("2", rollout={"traffic_steps": [100]}), MODEL, "2")
    before = len(serving_workspace.requests)

    endpoint = backend.rollback("churn")

    assert serving_workspace.config_updates("churn")[-1] == {OLD: 100}
    rolled = serving_workspace.requests[before:]
    [update] = [r.body for r in rolled if r.method == "PUT"]
    assert update["served_entities"] == [
        {
            "name": OLD,
            "entity_name": MODEL,
            "entity_version": "1",
            "workload_size": "Small",
            "workload_type": "CPU",
            "scale_to_zero_enabled": False,
        }
    ]
    [tags] = [r.body for r in rolled if r.method == "PATCH"]
    assert {t["key"]: t["value"] for t in tags["add_tags"]}["mlops.previous_version"] == "2"
    assert endpoint.traffic == {"1": 100}


def test_rollback_without_a_recorded_previous_version_is_refused(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend
) -> None:
    serving_workspace.add_endpoint("churn", MODEL, "1")

    with pytest.raises(DeploymentError, match=r"'churn' records no previous version"):
        backend.rollback("churn")
    with pytest.raises(DeploymentError, match=r"No serving endpoint 'nope' .* to roll back"):
        backend.rollback("nope")


def test_get_list_and_stop(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend
) -> None:
    serving_workspace.add_endpoint("churn-a", MODEL, "1")
    serving_workspace.add_endpoint("churn-b", MODEL, {"1": 70, "3": 30})

    assert backend.get("missing") is None
    listed = {endpoint.name: endpoint for endpoint in backend.list()}
    assert {name: e.traffic for name, e in listed.items()} == {
        "churn-a": {"1": 100},
        "churn-b": {"1": 70, "3": 30},
    }
    assert listed["churn-b"].url.endswith("/serving-endpoints/churn-b/invocations")
    # Only the split endpoint is fetched for its traffic (the list answer has none).
    assert serving_workspace.calls(polls=True)[-2:] == [
        ("GET", "/api/2.0/serving-endpoints"),
        ("GET", "/api/2.0/serving-endpoints/churn-b"),
    ]

    backend.stop("churn-a")

    assert ("DELETE", "/api/2.0/serving-endpoints/churn-a") in serving_workspace.calls()
    assert backend.get("churn-a") is None
    with pytest.raises(
        DeploymentError, match=r"No serving endpoint 'churn-a'.*did you mean 'churn-b'"
    ):
        backend.stop("churn-a")


def test_access_control_off_opens_the_endpoint_to_all_users(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend
) -> None:
    backend.deploy(deployment("1", enable_access_control=False), MODEL, "1")

    endpoint_id = serving_workspace.endpoints["churn"]["id"]
    [acl] = serving_workspace.bodies("PATCH", f"/permissions/serving-endpoints/{endpoint_id}")
    assert acl == {
        "access_control_list": [{"group_name": "users", "permission_level": "CAN_QUERY"}]
    }


def test_inference_log_on_an_existing_endpoint_is_turned_on_after_the_rollout(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend
) -> None:
    serving_workspace.add_endpoint("churn", MODEL, "1")

    backend.deploy(deployment("2", inference_log=True), MODEL, "2")

    [gateway] = serving_workspace.bodies("PUT", "/churn/ai-gateway")
    assert gateway["inference_table_config"]["enabled"] is True
    assert gateway["inference_table_config"]["catalog_name"] == "main"


def test_inference_log_needs_a_unity_catalog_model_name(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend
) -> None:
    with pytest.raises(DeploymentError, match=r"catalog\.schema\.model.*'churn_model'"):
        backend.deploy(deployment("1", inference_log=True), "churn_model", "1")
    assert serving_workspace.calls() == []


def test_bad_token_is_a_deployment_error_naming_the_cause(
    serving_workspace: ServingWorkspaceStub,
) -> None:
    backend = DatabricksServingBackend(serving_workspace.client(token="wrong"))

    with pytest.raises(
        DeploymentError, match=r"Failed to read serving endpoint 'churn'.*Invalid access token"
    ):
        backend.get("churn")


def test_batch_deployment_has_no_endpoint(backend: DatabricksServingBackend) -> None:
    config = DeploymentConfig(model_name=MODEL, model_version="1", deployment_type="batch")
    with pytest.raises(
        DeploymentError, match=r"deployment_type batch: there is no serving endpoint"
    ):
        backend.deploy(config, MODEL, "1")


@pytest.mark.parametrize(
    ("settings", "size", "kind"),
    [
        ({}, "Small", "CPU"),
        ({"compute_scale": 2}, "Medium", "CPU"),
        ({"compute_scale": 5}, "Large", "CPU"),
        ({"instance_type": "large"}, "Large", "CPU"),
        ({"instance_type": "Standard_DS3_v2", "compute_scale": 2}, "Medium", "CPU"),
        ({"compute_type": "gpu"}, "Small", "GPU_SMALL"),
        ({"compute_type": "gpu", "instance_type": "GPU_LARGE"}, "Small", "GPU_LARGE"),
        ({"compute_type": "cpu", "instance_type": "GPU_LARGE"}, "Small", "CPU"),
    ],
)
def test_workload_from_serving_config(settings: dict[str, Any], size: str, kind: str) -> None:
    assert workload(ServingConfig(endpoint_name="e", **settings)) == (size, kind)


def test_autoscaling_sends_provisioned_concurrency_instead_of_a_size() -> None:
    serving = ServingConfig.model_validate(
        {"endpoint_name": "e", "autoscaling_enabled": True, "min_replicas": 1, "max_replicas": 3}
    )
    entity = served_entity_input(serving, MODEL, "7").as_dict()
    assert entity["min_provisioned_concurrency"] == 4
    assert entity["max_provisioned_concurrency"] == 12
    assert "workload_size" not in entity


def test_interrupted_rollout_at_100_percent_only_removes_the_idle_old_entity(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend
) -> None:
    serving_workspace.add_endpoint("churn", MODEL, {"1": 0, "2": 100})

    endpoint = backend.deploy(deployment("2"), MODEL, "2")

    assert serving_workspace.config_updates("churn") == [{NEW: 100}]
    [tags] = serving_workspace.bodies("PATCH", "/churn/tags")
    assert {"key": "mlops.previous_version", "value": "1"} in tags["add_tags"]
    assert endpoint.traffic == {"2": 100}


def test_rollback_works_on_an_endpoint_whose_last_update_failed(
    serving_workspace: ServingWorkspaceStub, backend: DatabricksServingBackend
) -> None:
    serving_workspace.add_endpoint("churn", MODEL, "1")
    backend.deploy(deployment("2", rollout={"traffic_steps": [100]}), MODEL, "2")
    # Someone else's update failed: the endpoint still serves v2 and says UPDATE_FAILED.
    serving_workspace.endpoints["churn"]["state"]["config_update"] = "UPDATE_FAILED"
    failed = backend.get("churn")
    assert failed is not None
    assert failed.state == "READY"  # the served config still answers

    endpoint = backend.rollback("churn")

    assert serving_workspace.config_updates("churn")[-1] == {OLD: 100}
    assert endpoint.traffic == {"1": 100}
