"""Promote ``challenger`` to ``champion`` when its recorded gate verdict passed.

The previous champion's version is kept in a tag on the new champion
(``mlops.previous_champion``) so a rollback knows where to return; a version rolled back
from is tagged ``mlops.rolled_back_to`` and never promoted again by the job.
"""

from __future__ import annotations

from dataclasses import dataclass

from databricks_mlops.deployment.errors import DeploymentError
from databricks_mlops.model_training.model_registry import CHALLENGER, CHAMPION, version_by_alias

PREVIOUS_CHAMPION_TAG = "mlops.previous_champion"
ROLLED_BACK_TAG = "mlops.rolled_back_to"


class PromotionError(DeploymentError):
    """The challenger cannot become champion (missing, or its gates did not pass)."""


@dataclass(frozen=True)
class Promotion:
    model_name: str
    champion_version: str
    previous_champion: str | None
    changed: bool


def promote_challenger(model_name: str) -> Promotion:
    from mlflow import MlflowClient

    challenger = version_by_alias(model_name, CHALLENGER)
    if challenger is None:
        raise PromotionError(
            f"{model_name} has no @{CHALLENGER} version: run the model_training job first"
        )
    verdict = challenger.tags.get("gate.verdict")
    if verdict != "passed":
        reason = challenger.tags.get("gate.reason", "no gate verdict recorded")
        raise PromotionError(
            f"{model_name} version {challenger.version} (@{CHALLENGER}) cannot be promoted: "
            f"its evaluation gates {verdict or 'were not run'} ({reason})"
        )
    rolled_back_to = challenger.tags.get(ROLLED_BACK_TAG)
    if rolled_back_to is not None:
        # Else the next model_deployment run would redeploy what was just rolled back.
        raise PromotionError(
            f"{model_name} version {challenger.version} (@{CHALLENGER}) was rolled back "
            f"to version {rolled_back_to} and is not promoted again: train and register a "
            f"new version, or delete its {ROLLED_BACK_TAG} tag to promote it anyway"
        )
    champion = version_by_alias(model_name, CHAMPION)
    if champion is not None and champion.version == challenger.version:
        return Promotion(model_name, str(challenger.version), None, changed=False)
    client = MlflowClient()
    previous = str(champion.version) if champion is not None else None
    if previous is not None:
        client.set_model_version_tag(
            model_name, challenger.version, PREVIOUS_CHAMPION_TAG, previous
        )
    client.set_registered_model_alias(model_name, CHAMPION, challenger.version)
    return Promotion(model_name, str(challenger.version), previous, changed=True)


def restore_champion(model_name: str, rolled_back_from: str, serving: str) -> bool:
    """After an endpoint rollback from ``rolled_back_from`` to ``serving``: when
    ``@champion`` still names the version taken out of service, move it to ``serving`` so
    batch scoring and the next deploy use what the endpoint serves. The demoted version is
    tagged ``mlops.rolled_back_to``. Returns whether the alias moved."""
    from mlflow import MlflowClient

    champion = version_by_alias(model_name, CHAMPION)
    if champion is None or str(champion.version) != rolled_back_from:
        return False  # the registry moved on (or never had a champion): leave it
    client = MlflowClient()
    client.set_model_version_tag(model_name, rolled_back_from, ROLLED_BACK_TAG, serving)
    client.set_registered_model_alias(model_name, CHAMPION, serving)
    return True
