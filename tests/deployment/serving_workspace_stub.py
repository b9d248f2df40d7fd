"""A Databricks workspace, as far as Model Serving goes, on 127.0.0.1: the REST calls the
databricks-sdk makes for ``serving_endpoints`` (create, get, list, update_config, tags,
AI Gateway, permissions, delete), served-model invocations, and the host metadata probe.

Endpoints live in memory. A config change (create or PUT .../config) is IN_PROGRESS for
``polls_per_update`` GETs, then NOT_UPDATING with the new config, or UPDATE_FAILED with the
old config kept when it serves a version listed in ``failing_versions`` (as Model Serving
does). Every request is recorded (method, path, JSON body) so tests assert the sequence.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

TOKEN = "dapi-stub-token"
WORKSPACE_ID = "1234567890"


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    body: Any
    headers: dict[str, str]


@dataclass
class ServingWorkspaceStub:
    polls_per_update: int = 2
    failing_versions: set[str] = field(default_factory=set)
    # served entity version -> HTTP status its invocations answer (e.g. 500)
    invocation_status: dict[str, int] = field(default_factory=dict)
    # served entity version -> invocations answered 200 before invocation_status applies
    healthy_invocations: dict[str, int] = field(default_factory=dict)
    # served entity version -> seconds each invocation takes
    invocation_delay: dict[str, float] = field(default_factory=dict)
    endpoints: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    _invocations: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> ServingWorkspaceStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in two writes

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                path = self.path.split("?", 1)[0]
                with stub._lock:
                    stub.requests.append(Recorded(self.command, path, body, dict(self.headers)))
                    status, answer, delay = stub._route(self.command, path, body, self.headers)
                if delay:
                    time.sleep(delay)  # outside the lock: other requests keep flowing
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def client(self, token: str = TOKEN) -> WorkspaceClient:
        """The real SDK client, token auth, retries bounded so a mistake fails fast."""
        from databricks.sdk import WorkspaceClient
        from databricks.sdk.config import Config

        config = Config(
            host=self.url, token=token, retry_timeout_seconds=5, http_timeout_seconds=10
        )
        return WorkspaceClient(config=config)

    # -- what tests read --------------------------------------------------------------------

    def calls(self, *, polls: bool = False) -> list[tuple[str, str]]:
        """(method, path) of the recorded requests; GETs of one endpoint (polls) left out
        unless asked for, and the host metadata probe always left out."""
        poll = re.compile(r"^/api/2\.0/serving-endpoints/[^/]+$")
        return [
            (r.method, r.path)
            for r in self.requests
            if not r.path.startswith("/.well-known")
            and (polls or not (r.method == "GET" and poll.match(r.path)))
        ]

    def bodies(self, method: str, path_suffix: str) -> list[Any]:
        return [
            r.body for r in self.requests if r.method == method and r.path.endswith(path_suffix)
        ]

    def config_updates(self, name: str) -> list[dict[str, int]]:
        """Traffic split (served entity -> percent) of each PUT .../config, in order."""
        return [
            {
                route["served_model_name"]: route["traffic_percentage"]
                for route in body["traffic_config"]["routes"]
            }
            for body in self.bodies("PUT", f"/serving-endpoints/{name}/config")
        ]

    def add_endpoint(
        self, name: str, entity_name: str, versions: str | dict[str, int], **settings: Any
    ) -> None:
        """An endpoint already serving ``entity_name``: one version at 100%, or
        ``{version: percent}``; each entity with the deployer's default settings."""
        split = {versions: 100} if isinstance(versions, str) else versions
        entities = [
            {
                "name": f"{entity_name.split('.')[-1]}-{version}",
                "entity_name": entity_name,
                "entity_version": version,
                "workload_size": "Small",
                "workload_type": "CPU",
                "scale_to_zero_enabled": False,
                **settings,
            }
            for version in split
        ]
        config = {
            "served_entities": entities,
            "traffic_config": {
                "routes": [
                    {
                        "served_model_name": e["name"],
                        "traffic_percentage": split[e["entity_version"]],
                    }
                    for e in entities
                ]
            },
        }
        with self._lock:
            endpoint = self._new_endpoint(name, {"name": name, "tags": []})
            endpoint["config"] = self._served(config, 1)
            endpoint["state"] = {"ready": "READY", "config_update": "NOT_UPDATING"}
            self.endpoints[name] = endpoint

    # -- the API ----------------------------------------------------------------------------

    def _route(self, method: str, path: str, body: Any, headers: Any) -> tuple[int, Any, float]:
        if path == "/.well-known/databricks-config":
            return 200, {"oidc_endpoint": f"{self.url}/oidc", "workspace_id": WORKSPACE_ID}, 0
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return _error(401, "UNAUTHENTICATED", "Invalid access token.")
        if match := re.fullmatch(
            r"/serving-endpoints/([^/]+)/served-models/([^/]+)/invocations", path
        ):
            return self._invoke(match[1], match[2], body)
        if match := re.fullmatch(r"/serving-endpoints/([^/]+)/invocations", path):
            return self._invoke(match[1], None, body)
        if match := re.fullmatch(r"/api/2\.0/permissions/serving-endpoints/([^/]+)", path):
            return self._permissions(method, match[1], body)
        if path == "/api/2.0/serving-endpoints":
            if method == "POST":
                return self._create(body)
            if method == "GET":
                return 200, {"endpoints": [_summary(e) for e in self.endpoints.values()]}, 0
        match = re.fullmatch(r"/api/2\.0/serving-endpoints/([^/]+)(/[a-z-]+)?", path)
        if match is None:
            return _error(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")
        name, sub = match[1], match[2] or ""
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            return _error(
                404, "RESOURCE_DOES_NOT_EXIST", f"Endpoint with name '{name}' does not exist."
            )
        if (method, sub) == ("GET", ""):
            self._advance(endpoint)
            return 200, endpoint, 0
        if (method, sub) == ("DELETE", ""):
            del self.endpoints[name]
            return 200, {}, 0
        if (method, sub) == ("PUT", "/config"):
            return self._update_config(endpoint, body)
        if (method, sub) == ("PATCH", "/tags"):
            tags = {t["key"]: t.get("value") for t in endpoint.get("tags", [])}
            tags.update({t["key"]: t.get("value") for t in body.get("add_tags", [])})
            for key in body.get("delete_tags", []):
                tags.pop(key, None)
            endpoint["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
            return 200, {"tags": endpoint["tags"]}, 0
        if (method, sub) == ("PUT", "/ai-gateway"):
            endpoint["ai_gateway"] = body
            return 200, body, 0
        return _error(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")

    def _create(self, body: dict[str, Any]) -> tuple[int, Any, float]:
        name = body.get("name", "")
        if name in self.endpoints:
            return _error(
                400, "RESOURCE_ALREADY_EXISTS", f"Endpoint with name '{name}' already exists."
            )
        problem = _check_config(body.get("config") or {})
        if problem:
            return _error(400, "INVALID_PARAMETER_VALUE", problem)
        endpoint = self._new_endpoint(name, body)
        self._begin_update(endpoint, body["config"])
        self.endpoints[name] = endpoint
        return 200, endpoint, 0

    def _new_endpoint(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        endpoint: dict[str, Any] = {
            "name": name,
            "id": uuid.uuid4().hex,
            "creator": "deployer@example.com",
            "creation_timestamp": int(time.time() * 1000),
            "state": {"ready": "NOT_READY", "config_update": "NOT_UPDATING"},
            "tags": body.get("tags", []),
            "permission_level": "CAN_MANAGE",
            "route_optimized": bool(body.get("route_optimized", False)),
        }
        if body.get("ai_gateway"):
            endpoint["ai_gateway"] = body["ai_gateway"]
        if body.get("description"):
            endpoint["description"] = body["description"]
        return {k: v for k, v in endpoint.items() if v is not None}

    def _update_config(
        self, endpoint: dict[str, Any], body: dict[str, Any]
    ) -> tuple[int, Any, float]:
        if endpoint["state"]["config_update"] == "IN_PROGRESS":
            return _error(
                409,
                "RESOURCE_CONFLICT",
                f"Endpoint {endpoint['name']} is currently being updated. Please retry after the update is complete.",
            )
        problem = _check_config(body)
        if problem:
            return _error(400, "INVALID_PARAMETER_VALUE", problem)
        self._begin_update(endpoint, body)
        return 200, endpoint, 0

    def _begin_update(self, endpoint: dict[str, Any], config: dict[str, Any]) -> None:
        version = endpoint.get("config", {}).get("config_version", 0) + 1
        pending = self._served(config, version, "DEPLOYMENT_CREATING")
        endpoint["pending_config"] = pending
        endpoint["state"]["config_update"] = "IN_PROGRESS"
        endpoint["_polls_left"] = self.polls_per_update

    def _advance(self, endpoint: dict[str, Any]) -> None:
        """One GET of an updating endpoint: count down, then apply or fail the update."""
        if endpoint["state"]["config_update"] != "IN_PROGRESS":
            return
        endpoint["_polls_left"] -= 1
        if endpoint["_polls_left"] > 0:
            return
        pending = endpoint.pop("pending_config")
        endpoint.pop("_polls_left")
        bad = [
            e for e in pending["served_entities"] if e["entity_version"] in self.failing_versions
        ]
        if bad:
            endpoint["state"]["config_update"] = "UPDATE_FAILED"
            for entity in bad:
                entity["state"] = {
                    "deployment": "DEPLOYMENT_FAILED",
                    "deployment_state_message": "Container build failed: model dependencies did not install",
                }
            # The failed config is gone; the served one stays (kept here for its messages).
            endpoint["pending_config"] = pending
            endpoint["state"]["config_update"] = "UPDATE_FAILED"
            return
        for entity in pending["served_entities"]:
            entity["state"] = {"deployment": "DEPLOYMENT_READY", "deployment_state_message": ""}
        endpoint["config"] = pending
        endpoint["state"] = {"ready": "READY", "config_update": "NOT_UPDATING"}

    def _served(
        self, config: dict[str, Any], version: int, state: str = "DEPLOYMENT_READY"
    ) -> dict[str, Any]:
        entities = [
            {**entity, "state": {"deployment": state}, "creator": "deployer@example.com"}
            for entity in config.get("served_entities", [])
        ]
        routes = (config.get("traffic_config") or {}).get("routes") or [
            {"served_model_name": entities[0]["name"], "traffic_percentage": 100}
        ]
        return {
            "served_entities": entities,
            "traffic_config": {"routes": routes},
            "config_version": version,
        }

    def _invoke(self, name: str, served: str | None, body: Any) -> tuple[int, Any, float]:
        endpoint = self.endpoints.get(name)
        if endpoint is None or "config" not in endpoint:
            return _error(404, "RESOURCE_DOES_NOT_EXIST", f"Endpoint '{name}' is not serving")
        config = endpoint["config"]
        if served is None:
            routes = config["traffic_config"]["routes"]
            served = max(routes, key=lambda r: r["traffic_percentage"])["served_model_name"]
        entity = next((e for e in config["served_entities"] if e["name"] == served), None)
        if entity is None:
            return _error(
                404, "RESOURCE_DOES_NOT_EXIST", f"Served model '{served}' not in endpoint '{name}'"
            )
        split = (body or {}).get("dataframe_split")
        if not isinstance(split, dict) or "data" not in split:
            return _error(400, "BAD_REQUEST", "Expected dataframe_split with columns and data")
        version = entity["entity_version"]
        self._invocations[version] = self._invocations.get(version, 0) + 1
        status = self.invocation_status.get(version, 200)
        if self._invocations[version] <= self.healthy_invocations.get(version, 0):
            status = 200
        delay = self.invocation_delay.get(entity["entity_version"], 0.0)
        if status != 200:
            code, message = _error(status, "INTERNAL_ERROR", "Model raised: KeyError 'tenure'")[:2]
            return code, message, delay
        rows = len(split["data"])
        return 200, {"predictions": [{"prediction": 0, "probability": 0.25}] * rows}, delay

    def _permissions(self, method: str, endpoint_id: str, body: Any) -> tuple[int, Any, float]:
        if not any(e["id"] == endpoint_id for e in self.endpoints.values()):
            return _error(
                404, "RESOURCE_DOES_NOT_EXIST", f"serving-endpoint {endpoint_id} does not exist"
            )
        acl = (body or {}).get("access_control_list", []) if method in ("PATCH", "PUT") else []
        return (
            200,
            {
                "object_id": f"/serving-endpoints/{endpoint_id}",
                "object_type": "serving-endpoint",
                "access_control_list": [
                    {**entry, "all_permissions": [{"permission_level": entry["permission_level"]}]}
                    for entry in acl
                ],
            },
            0,
        )


def _check_config(config: dict[str, Any]) -> str | None:
    """What Model Serving refuses: duplicate names, routes to unknown entities, != 100%."""
    entities = config.get("served_entities") or []
    if not entities:
        return "served_entities must not be empty"
    names = [e.get("name") for e in entities]
    if len(set(names)) != len(names):
        return f"Served entity names must be unique, got {names}"
    routes = (config.get("traffic_config") or {}).get("routes")
    if routes is None:
        return (
            None
            if len(entities) == 1
            else "traffic_config is required with several served entities"
        )
    if sum(r["traffic_percentage"] for r in routes) != 100:
        return f"Traffic percentages must sum to 100, got {routes}"
    unknown = [r["served_model_name"] for r in routes if r["served_model_name"] not in names]
    return f"Routes name unknown served entities {unknown}" if unknown else None


def _summary(endpoint: dict[str, Any]) -> dict[str, Any]:
    """What GET /serving-endpoints lists: no traffic config, served entities by name only."""
    config = endpoint.get("config") or {}
    return {
        "name": endpoint["name"],
        "id": endpoint["id"],
        "creator": endpoint["creator"],
        "state": endpoint["state"],
        "tags": endpoint.get("tags", []),
        "config": {
            "served_entities": [
                {k: e[k] for k in ("name", "entity_name", "entity_version")}
                for e in config.get("served_entities", [])
            ]
        },
    }


def _error(status: int, code: str, message: str) -> tuple[int, Any, float]:
    return status, {"error_code": code, "message": message}, 0.0
