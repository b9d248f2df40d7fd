"""Evaluation gates: the candidate against thresholds and against the current champion.

Pure logic over two metric dicts measured on the same test rows; where the champion's
metrics come from (loading ``models:/NAME@champion``) is the trainer's business.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field

from databricks_mlops.config.training import MetricGate


@dataclass(frozen=True)
class GateCheck:
    """One condition of one gate: ``value`` compared with ``required``."""

    metric: str
    kind: str  # "threshold" or "champion"
    value: float
    required: float
    higher_is_better: bool
    passed: bool

    def describe(self) -> str:
        comparison = ">=" if self.higher_is_better else "<="
        verdict = "passed" if self.passed else "FAILED"
        source = "threshold" if self.kind == "threshold" else "champion-relative threshold"
        return (
            f"{self.metric} {verdict}: value {self.value:.4f}, needs {comparison} "
            f"{self.required:.4f} ({source})"
        )


@dataclass(frozen=True)
class GateVerdict:
    """Every check made, the metrics of both models, and one line saying why."""

    checks: list[GateCheck]
    candidate_metrics: dict[str, float]
    champion_metrics: dict[str, float] | None
    champion_version: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def failures(self) -> list[GateCheck]:
        return [check for check in self.checks if not check.passed]

    @property
    def reason(self) -> str:
        if not self.checks:
            return "no gates configured"
        failed = self.failures
        lines = [check.describe() for check in (failed or self.checks)]
        return "; ".join(lines + self.notes)

    def raise_for_failures(self, run_id: str) -> None:
        """Raise :class:`EvaluationGateError` naming each failed gate of ``run_id``."""
        if self.passed:
            return
        from databricks_mlops.model_training.errors import EvaluationGateError

        failures = [check.describe() for check in self.failures]
        raise EvaluationGateError(
            f"candidate run {run_id} failed its gates: {'; '.join(failures)}",
            failures=failures,
            run_id=run_id,
        )

    def as_tags(self) -> dict[str, str]:
        """Run / model-version tags (values are strings; metrics as compact JSON)."""
        tags = {
            "gate.verdict": "passed" if self.passed else "failed",
            "gate.reason": self.reason[:5000],
            "gate.candidate_metrics": json.dumps(_finite(self.candidate_metrics), sort_keys=True),
        }
        tags["gate.checks"] = json.dumps([asdict(check) for check in self.checks])[:5000]
        tags["gate.notes"] = json.dumps(self.notes)[:5000]
        if self.champion_metrics is not None:
            tags["gate.champion_metrics"] = json.dumps(
                _finite(self.champion_metrics), sort_keys=True
            )
            tags["gate.champion_version"] = str(self.champion_version)
        else:
            tags["gate.champion_metrics"] = "none (no champion)"
        return tags

    @classmethod
    def from_tags(cls, tags: dict[str, str]) -> GateVerdict:
        """The verdict written by :meth:`as_tags` (NaN metrics come back as NaN)."""
        champion_text = tags.get("gate.champion_metrics", "")
        champion = _metrics(champion_text) if champion_text.startswith("{") else None
        return cls(
            checks=[GateCheck(**check) for check in json.loads(tags.get("gate.checks", "[]"))],
            candidate_metrics=_metrics(tags.get("gate.candidate_metrics", "{}")),
            champion_metrics=champion,
            champion_version=tags.get("gate.champion_version"),
            notes=list(json.loads(tags.get("gate.notes", "[]"))),
        )

    def describe(self) -> str:
        """A short paragraph for the model version's description."""
        status = "PASSED" if self.passed else "FAILED"
        text = f"Evaluation gates {status}: {self.reason}."
        if self.champion_metrics is not None:
            text += f" Compared with champion version {self.champion_version} on the same test set."
        return text


def _metrics(text: str) -> dict[str, float]:
    return {k: (math.nan if v is None else float(v)) for k, v in json.loads(text).items()}


def _finite(metrics: dict[str, float]) -> dict[str, float | None]:
    return {k: (round(v, 6) if math.isfinite(v) else None) for k, v in metrics.items()}


def evaluate_gates(
    gates: list[MetricGate],
    candidate: dict[str, float],
    champion: dict[str, float] | None,
    *,
    champion_version: str | None = None,
) -> GateVerdict:
    """Check each gate's threshold, and its ``min_improvement`` over ``champion``.

    A metric that could not be computed (NaN) fails its gate: a gate cannot be passed
    by a value nobody measured.
    """
    checks: list[GateCheck] = []
    notes: list[str] = []
    for gate in gates:
        value = candidate.get(gate.metric, math.nan)
        higher = gate.higher_is_better
        if gate.threshold is not None:
            checks.append(_check(gate.metric, "threshold", value, gate.threshold, higher))
        if gate.min_improvement is None:
            continue
        if champion is None:
            notes.append(f"{gate.metric}: no champion to compare with")
            continue
        reference = champion.get(gate.metric, math.nan)
        if math.isnan(reference):
            notes.append(f"{gate.metric}: the champion's value could not be computed")
            continue
        step = gate.min_improvement if higher else -gate.min_improvement
        checks.append(_check(gate.metric, "champion", value, reference + step, higher))
    return GateVerdict(
        checks=checks,
        candidate_metrics=dict(candidate),
        champion_metrics=dict(champion) if champion is not None else None,
        champion_version=champion_version,
        notes=notes,
    )


def _check(metric: str, kind: str, value: float, required: float, higher: bool) -> GateCheck:
    passed = not math.isnan(value) and (value >= required if higher else value <= required)
    return GateCheck(metric, kind, value, required, higher, passed)
