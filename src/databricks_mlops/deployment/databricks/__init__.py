"""The Databricks Model Serving side of deployment: ``DatabricksServingBackend``
(``serving``) rolls versions out through ``WorkspaceClient.serving_endpoints`` with the
endpoint specs of ``spec``, the traffic steps of ``rollout`` and the SDK calls (timeouts,
errors) of ``calls``."""
