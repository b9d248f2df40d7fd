"""A job's task graph: ``depends_on`` edges checked, cycles found, a stable order.

The order is topological and, among tasks that are ready at the same time, follows
declaration order, so a local run is the same every time.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from databricks_mlops.errors import RunnerError, did_you_mean


@dataclass(frozen=True)
class Dependency:
    task_key: str
    outcome: str | None = None
    """For a dependency on a condition_task: run only on this outcome ("true"/"false")."""


@dataclass(frozen=True)
class TaskNode:
    key: str
    spec: Mapping[str, Any]
    depends_on: tuple[Dependency, ...]
    position: int


@dataclass(frozen=True)
class TaskGraph:
    job_key: str
    nodes: Mapping[str, TaskNode]
    order: tuple[str, ...]

    def downstream_of(self, task_key: str) -> list[str]:
        return [
            key
            for key in self.order
            if any(dep.task_key == task_key for dep in self.nodes[key].depends_on)
        ]


def _parse_dependencies(job_key: str, task_key: str, raw: object) -> tuple[Dependency, ...]:
    where = f"job '{job_key}' task '{task_key}'"
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise RunnerError(f"{where}: depends_on must be a list of {{task_key: ...}}")
    dependencies: list[Dependency] = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("task_key"), str):
            raise RunnerError(f"{where}: each depends_on entry needs a task_key, got {entry!r}")
        outcome = entry.get("outcome")
        if outcome is not None:
            outcome = str(outcome).lower() if isinstance(outcome, bool) else str(outcome)
        dependencies.append(Dependency(entry["task_key"], outcome))
    return tuple(dependencies)


def _find_cycle(nodes: Mapping[str, TaskNode], remaining: set[str]) -> list[str]:
    """One cycle among ``remaining`` (tasks Kahn's algorithm could not order)."""
    start = min(remaining, key=lambda key: nodes[key].position)
    path: list[str] = []
    current = start
    while current not in path:
        path.append(current)
        current = next(
            dep.task_key for dep in nodes[current].depends_on if dep.task_key in remaining
        )
    return [*path[path.index(current) :], current]


def build_task_graph(job_key: str, tasks: Sequence[Any] | None) -> TaskGraph:
    """Check a job's tasks and order them; ``RunnerError`` on any inconsistency."""
    if not tasks:
        raise RunnerError(f"job '{job_key}' has no tasks")
    nodes: dict[str, TaskNode] = {}
    for position, spec in enumerate(tasks):
        if not isinstance(spec, dict) or not isinstance(spec.get("task_key"), str):
            raise RunnerError(f"job '{job_key}' tasks[{position}] has no task_key")
        key = spec["task_key"]
        if key in nodes:
            raise RunnerError(f"job '{job_key}' declares task '{key}' twice")
        nodes[key] = TaskNode(
            key, spec, _parse_dependencies(job_key, key, spec.get("depends_on")), position
        )

    for node in nodes.values():
        for dep in node.depends_on:
            if dep.task_key not in nodes:
                raise RunnerError(
                    f"job '{job_key}' task '{node.key}' depends on unknown task "
                    f"'{dep.task_key}'{did_you_mean(dep.task_key, nodes)}"
                )
            if dep.task_key == node.key:
                raise RunnerError(f"job '{job_key}' task '{node.key}' depends on itself")

    waiting = {key: len({d.task_key for d in node.depends_on}) for key, node in nodes.items()}
    ready = [(node.position, key) for key, node in nodes.items() if waiting[key] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        _, key = heapq.heappop(ready)
        order.append(key)
        for other in nodes.values():
            if any(dep.task_key == key for dep in other.depends_on):
                waiting[other.key] -= 1
                if waiting[other.key] == 0:
                    heapq.heappush(ready, (other.position, other.key))

    if len(order) < len(nodes):
        cycle = _find_cycle(nodes, set(nodes) - set(order))
        raise RunnerError(f"job '{job_key}' has a dependency cycle: {' -> '.join(cycle)}")
    return TaskGraph(job_key, nodes, tuple(order))
