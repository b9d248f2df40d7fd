"""Reject bad answers before anything is written, naming the answer and the fix.

Cookiecutter renders this file with the answers, runs it, and aborts generation when it
exits non-zero; the message goes to stderr. The checks live in ``check_answers`` so the
template tests can call them directly (``databricks_mlops.project`` does too).
"""

from __future__ import annotations

import keyword
import re
import sys

ANSWERS = {
    "project_name": {{ cookiecutter.project_name | tojson }},
    "project_slug": {{ cookiecutter.project_slug | tojson }},
    "package_name": {{ cookiecutter.package_name | tojson }},
    "description": {{ cookiecutter.description | tojson }},
    "author": {{ cookiecutter.author | tojson }},
    "author_email": {{ cookiecutter.author_email | tojson }},
    "catalog_dev": {{ cookiecutter.catalog_dev | tojson }},
    "catalog_staging": {{ cookiecutter.catalog_staging | tojson }},
    "catalog_prod": {{ cookiecutter.catalog_prod | tojson }},
    "schema_name": {{ cookiecutter.schema_name | tojson }},
    "workspace_host_dev": {{ cookiecutter.workspace_host_dev | tojson }},
    "workspace_host_staging": {{ cookiecutter.workspace_host_staging | tojson }},
    "workspace_host_prod": {{ cookiecutter.workspace_host_prod | tojson }},
    "prod_service_principal": {{ cookiecutter.prod_service_principal | tojson }},
    "framework_source": {{ cookiecutter.framework_source | tojson }},
    "framework_version": {{ cookiecutter.framework_version | tojson }},
}

SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
PACKAGE = re.compile(r"^[a-z][a-z0-9_]*$")
# Unity Catalog names used unquoted in `catalog.schema.table`: letters, digits, underscores.
UC_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,254}$")
HOST = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]+)?/?$")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# vendor: `databricks-mlops new` puts the framework's wheel in vendor/ and records its
# framework_version; pypi: a plain dependency. A path would leak the generating machine.
FRAMEWORK_SOURCES = ("vendor", "pypi")
# A PEP 440 version as it appears in a wheel's file name.
WHEEL_VERSION = re.compile(r"^[0-9][A-Za-z0-9_.+!]*$")
# Free text lands in YAML, TOML, Python and Markdown; the template escapes it for each, but
# a line break (or an invisible character YAML treats as one) would still split a line.
FREE_TEXT = ("project_name", "description", "author")
# Names a generated package must not take: it would shadow the framework or a dependency.
RESERVED_PACKAGES = {"databricks_mlops", "databricks", "mlflow", "pyspark", "test", "tests", "src"}


def check_answers(answers: dict[str, str]) -> list[str]:
    """Every problem with the answers, one message each: which answer, why, what works."""
    problems: list[str] = []
    if not answers["project_name"].strip():
        problems.append("project_name is empty: give the project a name")
    for key in FREE_TEXT:
        hidden = sorted({c for c in answers[key] if not c.isprintable()})
        if hidden:
            shown = ", ".join(f"U+{ord(c):04X}" for c in hidden)
            problems.append(
                f"{key} {answers[key]!r} contains a line break or invisible character "
                f"({shown}): give it on one line of visible text"
            )
    slug = answers["project_slug"]
    if not SLUG.match(slug):
        problems.append(
            f"project_slug {slug!r} is not a valid project name: use lowercase letters, digits "
            "and single dashes, starting with a letter (e.g. churn-mlops)"
        )
    package = answers["package_name"]
    if not PACKAGE.match(package) or keyword.iskeyword(package):
        problems.append(
            f"package_name {package!r} is not a valid Python package name: use lowercase "
            "letters, digits and underscores, starting with a letter, not a keyword "
            "(e.g. churn_mlops)"
        )
    elif package in RESERVED_PACKAGES:
        problems.append(
            f"package_name {package!r} would shadow an installed package; pick a project "
            "specific name (e.g. churn_mlops)"
        )
    if not EMAIL.match(answers["author_email"]):
        problems.append(
            f"author_email {answers['author_email']!r} is not an email address (name@domain.tld)"
        )
    for key in ("catalog_dev", "catalog_staging", "catalog_prod", "schema_name"):
        if not UC_IDENTIFIER.match(answers[key]):
            problems.append(
                f"{key} {answers[key]!r} is not a Unity Catalog identifier: use letters, "
                "digits and underscores, not starting with a digit (e.g. main, ml_dev)"
            )
    for key in ("workspace_host_dev", "workspace_host_staging", "workspace_host_prod"):
        host = answers[key].strip()
        if host and not HOST.match(host):
            problems.append(
                f"{key} {host!r} is not an https workspace URL: give "
                "https://<workspace>.cloud.databricks.com (no path), or leave it empty to "
                "take the host from your Databricks CLI profile"
            )
    if not UUID.match(answers["prod_service_principal"]):
        problems.append(
            f"prod_service_principal {answers['prod_service_principal']!r} is not a service "
            "principal application ID (a UUID like 1b2c3d4e-0000-4000-8000-000000000000)"
        )
    source = answers["framework_source"]
    if source not in FRAMEWORK_SOURCES:
        looks_like_path = "/" in source or "\\" in source or source.startswith((".", "~"))
        problems.append(
            f"framework_source {source!r} is no longer supported: a local checkout path "
            "would be written into the project, and no other machine (CI runner, cluster) "
            "has it; use 'vendor' (the default: `databricks-mlops new` puts a wheel of the "
            "framework in vendor/, committed with the project) or 'pypi' (once "
            "databricks-mlops is on your package index)"
            if looks_like_path
            else f"framework_source {source!r} is not one of {', '.join(FRAMEWORK_SOURCES)}: "
            "use 'vendor' (a wheel of the framework in vendor/) or 'pypi'"
        )
    elif source == "vendor" and not WHEEL_VERSION.match(answers.get("framework_version", "")):
        problems.append(
            "framework_source 'vendor' needs the framework's wheel in vendor/, which "
            "`databricks-mlops new` builds (plain cookiecutter cannot): generate the project "
            "with `databricks-mlops new`, or answer framework_source=pypi"
        )
    return problems


def joined_surrogates(value: str) -> str:
    """``tojson`` writes a character beyond U+FFFF (an emoji) as a surrogate pair: rejoin it."""
    # A lone surrogate stays one, and is then rejected as an invisible character.
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")


if __name__ == "__main__":
    found = check_answers({key: joined_surrogates(value) for key, value in ANSWERS.items()})
    for problem in found:
        print(f"error: {problem}", file=sys.stderr)
    if found:
        sys.exit(1)
