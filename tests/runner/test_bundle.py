"""load_bundle: includes, targets, variables and ${...} references, as the CLI resolves them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from databricks_mlops.errors import BundleError
from databricks_mlops.runner import load_bundle

BundleWriter = Callable[[dict[str, str]], Path]

ROOT = """
bundle:
  name: churn
include:
  - resources/*.yml
variables:
  catalog:
    description: Unity Catalog catalog
    default: dev_catalog
  schema:
    default: mlops
targets:
  dev:
    default: true
    mode: development
    variables:
      catalog: dev_from_target
  prod:
    mode: production
    workspace:
      host: https://prod.example.com
    variables:
      catalog:
        default: prod_catalog
    resources:
      jobs:
        training:
          max_concurrent_runs: 4
          tasks:
            - task_key: train
              python_wheel_task:
                named_parameters:
                  epochs: "50"
            - task_key: publish
              depends_on: [{task_key: train}]
              python_wheel_task:
                package_name: churn
                entry_point: publish
"""

TRAINING = """
resources:
  jobs:
    training:
      name: training-${bundle.target}
      max_concurrent_runs: 1
      tags: {team: ml}
      job_clusters:
        - job_cluster_key: main
          new_cluster: {num_workers: 1}
      tasks:
        - task_key: train
          job_cluster_key: main
          libraries: [{whl: ../dist/*.whl}]
          python_wheel_task:
            package_name: churn
            entry_point: train
            named_parameters:
              catalog: ${var.catalog}
              epochs: "5"
"""

EXTRA = """
resources:
  jobs:
    training:
      tags: {owner: data}
      tasks:
        - task_key: evaluate
          depends_on: [{task_key: train}]
          python_wheel_task: {package_name: churn, entry_point: evaluate}
"""


def _bundle_files(**overrides: str) -> dict[str, str]:
    files = {
        "databricks.yml": ROOT,
        "resources/training.yml": TRAINING,
        "resources/training_extra.yml": EXTRA,
    }
    files.update(overrides)
    return files


def test_include_merge_maps_recursively_and_appends_sequences(write_bundle: BundleWriter) -> None:
    bundle = load_bundle(write_bundle(_bundle_files()), None, {}, environ={})
    job = bundle.jobs["training"]
    assert bundle.name == "churn"
    assert bundle.target == "dev"
    assert bundle.mode == "development"
    assert job["tags"] == {"team": "ml", "owner": "data"}
    assert [task["task_key"] for task in job["tasks"]] == ["train", "evaluate"]
    assert job["name"] == "training-dev"
    assert bundle.variables == {"catalog": "dev_from_target", "schema": "mlops"}


def test_target_overrides_merge_into_tasks_by_task_key(write_bundle: BundleWriter) -> None:
    bundle = load_bundle(write_bundle(_bundle_files()), "prod", {}, environ={})
    job = bundle.jobs["training"]
    assert job["max_concurrent_runs"] == 4
    assert [task["task_key"] for task in job["tasks"]] == ["train", "evaluate", "publish"]
    train = job["tasks"][0]
    # The override changed one parameter; the rest of the task survived the merge.
    assert train["python_wheel_task"] == {
        "package_name": "churn",
        "entry_point": "train",
        "named_parameters": {"catalog": "prod_catalog", "epochs": "50"},
    }
    assert train["job_cluster_key"] == "main"
    assert bundle.config["workspace"]["host"] == "https://prod.example.com"
    assert bundle.mode == "production"


def test_job_clusters_merge_by_key(write_bundle: BundleWriter) -> None:
    override = """
    resources:
      jobs:
        training:
          job_clusters:
            - job_cluster_key: main
              new_cluster: {num_workers: 8}
    """
    files = _bundle_files(**{"resources/z_clusters.yml": override})
    bundle = load_bundle(write_bundle(files), None, {}, environ={})
    assert bundle.jobs["training"]["job_clusters"] == [
        {"job_cluster_key": "main", "new_cluster": {"num_workers": 8}}
    ]


@pytest.mark.parametrize(
    ("cli", "environ", "target", "expected"),
    [
        ({"catalog": "from_cli"}, {"BUNDLE_VAR_catalog": "from_env"}, "dev", "from_cli"),
        ({}, {"BUNDLE_VAR_catalog": "from_env"}, "dev", "from_env"),
        ({}, {}, "dev", "dev_from_target"),
        ({}, {}, "prod", "prod_catalog"),
    ],
)
def test_variable_precedence(
    write_bundle: BundleWriter,
    cli: dict[str, str],
    environ: dict[str, str],
    target: str,
    expected: str,
) -> None:
    bundle = load_bundle(write_bundle(_bundle_files()), target, cli, environ=environ)
    assert bundle.variables["catalog"] == expected
    params = bundle.jobs["training"]["tasks"][0]["python_wheel_task"]["named_parameters"]
    assert params["catalog"] == expected


def test_bundle_var_environment_comes_from_os_environ_by_default(
    write_bundle: BundleWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUNDLE_VAR_schema", "from_os_env")
    bundle = load_bundle(write_bundle(_bundle_files()), None, {})
    assert bundle.variables["schema"] == "from_os_env"


def test_variable_without_any_value_is_an_error(write_bundle: BundleWriter) -> None:
    root = """
    bundle: {name: b}
    variables:
      warehouse_id:
        description: no default on purpose
    """
    with pytest.raises(BundleError, match="no value assigned to required variable 'warehouse_id'"):
        load_bundle(write_bundle({"databricks.yml": root}), None, {}, environ={})


def test_undeclared_cli_variable_suggests_the_declared_one(write_bundle: BundleWriter) -> None:
    with pytest.raises(BundleError, match=r"variable 'catalgo' is not declared.*'catalog'"):
        load_bundle(write_bundle(_bundle_files()), None, {"catalgo": "x"}, environ={})


LOOKUP_ROOT = """
bundle: {name: b}
variables:
  cluster_id:
    lookup: {cluster: shared-cluster}
resources:
  jobs:
    j:
      tasks:
        - task_key: t
          existing_cluster_id: %s
          python_wheel_task: {package_name: p, entry_point: e}
"""


def test_lookup_variable_is_fine_until_referenced(write_bundle: BundleWriter) -> None:
    root = write_bundle({"databricks.yml": LOOKUP_ROOT % "abc"})
    assert "cluster_id" not in load_bundle(root, None, {}, environ={}).variables


def test_referenced_lookup_variable_needs_a_local_value(write_bundle: BundleWriter) -> None:
    root = write_bundle({"databricks.yml": LOOKUP_ROOT % "${var.cluster_id}"})
    with pytest.raises(BundleError, match=r"lookup \(cluster 'shared-cluster'\).*--var cluster_id"):
        load_bundle(root, None, {}, environ={})
    bundle = load_bundle(root, None, {"cluster_id": "0101-abc"}, environ={})
    assert bundle.jobs["j"]["tasks"][0]["existing_cluster_id"] == "0101-abc"


def test_every_reference_kind_resolves(
    write_bundle: BundleWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_LOCAL_USER", "jane.doe-smith@example.com")
    root = """
    bundle: {name: refs}
    variables:
      settings:
        type: complex
        default: {retries: 2, tags: [a, b]}
      prefix:
        default: ${bundle.name}_${bundle.target}
    resources:
      registered_models:
        churn_model:
          name: ${var.prefix}_model
          catalog_name: main
          schema_name: ml
      jobs:
        child:
          name: child-job
          tasks:
            - task_key: only
              python_wheel_task: {package_name: p, entry_point: e}
        parent:
          name: parent of ${resources.jobs.child.name}
          tasks:
            - task_key: refs
              python_wheel_task:
                package_name: p
                entry_point: e
                parameters:
                  - ${bundle.name}
                  - ${bundle.target}
                  - ${bundle.environment}
                  - ${workspace.current_user.userName}
                  - ${workspace.current_user.short_name}
                  - ${workspace.root_path}
                  - ${workspace.file_path}/configs/x.yml
                  - ${workspace.artifact_path}
                  - ${resources.registered_models.churn_model.name}
                  - "{{job.parameters.run_date}}"
                  - ${HOME_STYLE_PLACEHOLDER}
                  - "${var.settings.retries}"
            - task_key: trigger
              run_job_task:
                job_id: ${resources.jobs.child.id}
              settings: ${var.settings}
    """
    bundle_root = write_bundle({"databricks.yml": root})
    bundle = load_bundle(bundle_root, None, {}, environ={})
    tasks = bundle.jobs["parent"]["tasks"]
    root_path = "/Workspace/Users/jane.doe-smith@example.com/.bundle/refs/default"
    assert tasks[0]["python_wheel_task"]["parameters"] == [
        "refs",
        "default",
        "default",
        "jane.doe-smith@example.com",
        "jane_doe_smith",
        root_path,
        f"{bundle_root.resolve()}/configs/x.yml",
        f"{root_path}/artifacts",
        "refs_default_model",
        "{{job.parameters.run_date}}",
        "${HOME_STYLE_PLACEHOLDER}",
        2,
    ]
    assert tasks[1]["run_job_task"] == {"job_id": "local-job:child"}
    assert tasks[1]["settings"] == {"retries": 2, "tags": ["a", "b"]}
    assert bundle.jobs["parent"]["name"] == "parent of child-job"


def test_default_local_user(write_bundle: BundleWriter, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLOPS_LOCAL_USER", raising=False)
    root = write_bundle(
        {
            "databricks.yml": "bundle: {name: b}\nvariables:\n"
            "  who: {default: '${workspace.current_user.short_name}'}\n"
        }
    )
    assert load_bundle(root, None, {}, environ={}).variables["who"] == "local_user"


def test_unknown_variable_reference_names_file_and_suggests(write_bundle: BundleWriter) -> None:
    broken = TRAINING.replace("${var.catalog}", "${var.catlog}")
    root = write_bundle(_bundle_files(**{"resources/training.yml": broken}))
    with pytest.raises(
        BundleError,
        match=r"Unknown reference \$\{var\.catlog\} in resources\.jobs\.training\.tasks\[0\]"
        r"\.python_wheel_task\.named_parameters\.catalog \(resources/training\.yml.*\).*"
        r"did you mean 'catalog'",
    ):
        load_bundle(root, None, {}, environ={})


def test_unknown_resource_reference_suggests_the_job(write_bundle: BundleWriter) -> None:
    broken = TRAINING.replace("training-${bundle.target}", "${resources.jobs.trainin.id}")
    root = write_bundle(_bundle_files(**{"resources/training.yml": broken}))
    with pytest.raises(BundleError, match=r"resources\.jobs has no 'trainin'.*'training'"):
        load_bundle(root, None, {}, environ={})


def test_reference_cycle_is_reported(write_bundle: BundleWriter) -> None:
    root = """
    bundle: {name: b}
    variables:
      a: {default: "${var.b}"}
      b: {default: "x-${var.a}"}
    """
    with pytest.raises(BundleError, match=r"Cycle in bundle references: variables\.a\.value"):
        load_bundle(write_bundle({"databricks.yml": root}), None, {}, environ={})


def test_unknown_target_lists_targets_and_suggests(write_bundle: BundleWriter) -> None:
    with pytest.raises(
        BundleError, match=r"Unknown target 'prd' \(did you mean 'prod'\?\).*dev, prod"
    ):
        load_bundle(write_bundle(_bundle_files()), "prd", {}, environ={})


def test_no_default_target_among_many_is_an_error(write_bundle: BundleWriter) -> None:
    root = "bundle: {name: b}\ntargets:\n  a: {}\n  b: {}\n"
    with pytest.raises(BundleError, match="pass --target with one of: a, b"):
        load_bundle(write_bundle({"databricks.yml": root}), None, {}, environ={})


def test_only_target_is_chosen(write_bundle: BundleWriter) -> None:
    root = "bundle: {name: b}\ntargets:\n  staging:\n    mode: production\n"
    assert load_bundle(write_bundle({"databricks.yml": root}), None, {}, environ={}).target == (
        "staging"
    )


def test_yaml_syntax_error_names_file_and_line(write_bundle: BundleWriter) -> None:
    files = _bundle_files(**{"resources/training_extra.yml": "resources:\n  jobs: [unclosed\n"})
    with pytest.raises(BundleError, match=r"YAML syntax error in resources/training_extra\.yml:3:"):
        load_bundle(write_bundle(files), None, {}, environ={})


def test_missing_bundle_file(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=r"No bundle found in .*databricks\.yml or"):
        load_bundle(tmp_path, None, {}, environ={})


def test_include_pattern_matching_nothing(write_bundle: BundleWriter) -> None:
    root = "bundle: {name: b}\ninclude: [jobs/*.yml]\n"
    with pytest.raises(BundleError, match=r"'jobs/\*\.yml' .* does not match any files"):
        load_bundle(write_bundle({"databricks.yml": root}), None, {}, environ={})


def test_missing_bundle_name(write_bundle: BundleWriter) -> None:
    with pytest.raises(BundleError, match=r"bundle\.name is required"):
        load_bundle(write_bundle({"databricks.yml": "bundle: {}\n"}), None, {}, environ={})


def test_map_inside_a_string_is_rejected(write_bundle: BundleWriter) -> None:
    root = """
    bundle: {name: b}
    variables:
      settings: {type: complex, default: {a: 1}}
      text: {default: "settings are ${var.settings}"}
    """
    with pytest.raises(BundleError, match="can only be used as a whole value"):
        load_bundle(write_bundle({"databricks.yml": root}), None, {}, environ={})


def test_error_in_a_target_override_names_the_target(write_bundle: BundleWriter) -> None:
    root = ROOT.replace('epochs: "50"', "epochs: ${var.epochs}")
    with pytest.raises(BundleError, match=r"databricks\.yml targets\.prod\).*'epochs'"):
        load_bundle(write_bundle(_bundle_files(**{"databricks.yml": root})), "prod", {}, environ={})


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (ALIAS_BOMB.encode(), r"resources/extra\.yml:\d+:\d+: this document expands to more"),
        (b"resources:\n  jobs: {caf\xe9: 1}\n", r"resources/extra\.yml:2: file is not UTF-8"),
        (b"x: " + b"[" * 3000 + b"]" * 3000 + b"\n", r"nesting deeper than \d+ levels"),
    ],
    ids=["alias_bomb", "not_utf8", "deep_nesting"],
)
def test_hostile_bundle_file_is_one_located_error(
    write_bundle: BundleWriter, content: bytes, problem: str
) -> None:
    root = write_bundle(_bundle_files())
    (root / "resources" / "extra.yml").write_bytes(content)
    with pytest.raises(BundleError, match=problem):
        load_bundle(root, None, {}, environ={})
